"""Proposals: public pages by province, the committee's version workflow, compare, and the asks scoreboard."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from crm.extensions import csrf, db
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import translate_data
from crm.proposals import asks as ask_services
from crm.proposals import files, services
from crm.proposals.forms import AskStatusForm, CompareForm, ConfirmForm, NewProposalForm, VersionForm
from crm.proposals.models import Proposal, ProposalVersion
from crm.reference.models import Jurisdiction
from crm.reference.names import jurisdiction_name

bp = Blueprint("proposals", __name__)

# Upload size: the app-wide MAX_CONTENT_LENGTH (2 MB) stays for every other form, so login, join
# and the rest cannot be sent 20 MB bodies. Only the draft form (edit_version) raises its own
# request's limit to PROPOSAL_PDF_MAX_BYTES plus this allowance for the text fields and multipart
# framing; the PDF itself is then checked against PROPOSAL_PDF_MAX_BYTES exactly, with a message on
# the form. Flask-WTF's CSRFProtect reads the form in a before_request hook, before a view could
# raise the limit, so that route is exempted there and calls csrf.protect() itself as soon as the
# limit is raised.
FORM_OVERHEAD_BYTES = 1024 * 1024
# Ids and version numbers in URLs stop at PostgreSQL's integer range: larger ones are a 404.
MAX_INT = 2**31 - 1


# --- Public pages ---------------------------------------------------------------------------------
@bp.route("/proposals")
def public_index():
    return render_template(
        "proposals/public_index.html", rows=services.proposals_with_latest(db.session, published_only=True)
    )


def _public_version(slug: str, number: int | None) -> tuple[Proposal, ProposalVersion]:
    proposal = services.proposal_by_slug(db.session, slug) or abort(404)
    if number is None:
        published = services.versions_of(db.session, proposal.id, published_only=True)
        version = published[0] if published else abort(404)
    else:
        version = services.version_by_number(db.session, proposal.id, number)
        if version is None or not version.is_published:
            abort(404)
    return proposal, version


@bp.route("/proposals/<slug>")
@bp.route(f"/proposals/<slug>/v<int(max={MAX_INT}):number>")
def public_version(slug, number=None):
    proposal, version = _public_version(slug, number)
    return render_template(
        "proposals/public_version.html",
        proposal=proposal,
        version=version,
        published=services.versions_of(db.session, proposal.id, published_only=True),
    )


@bp.route(f"/proposals/<slug>/v<int(max={MAX_INT}):number>/print")
def print_version(slug, number):
    proposal, version = _public_version(slug, number)
    return render_template("proposals/print.html", proposal=proposal, version=version)


@bp.route(f"/proposals/<slug>/v<int(max={MAX_INT}):number>/pdf")
def download_pdf(slug, number):
    """Anyone may download a published version's PDF; a draft's only the committee."""
    proposal = services.proposal_by_slug(db.session, slug) or abort(404)
    version = services.version_by_number(db.session, proposal.id, number)
    if version is None or version.pdf_sha256 is None:
        abort(404)
    if not version.is_published and not getattr(current_user, "is_staff", False):
        abort(404)
    path = files.pdf_path(version.pdf_sha256)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        max_age=0 if not version.is_published else 3600,
        download_name=f"ITPO-{proposal.slug}-proposal-v{version.number}.pdf",
    )


@bp.route("/asks")
def scoreboard():
    return render_template("proposals/scoreboard.html", board=ask_services.scoreboard(db.session))


# --- Committee: proposals and versions -----------------------------------------------------------
def _jurisdiction_choices(taken: set[int]) -> list[tuple[int, str]]:
    jurisdictions = db.session.scalars(db.select(Jurisdiction).order_by(Jurisdiction.name))
    return [(j.id, j.name) for j in jurisdictions if j.id not in taken]


@bp.route("/committee/proposals")
def committee_index():
    rows = services.proposals_with_latest(db.session, published_only=False)
    form = NewProposalForm()
    form.jurisdiction_id.choices = _jurisdiction_choices({p.jurisdiction_id for p, _ in rows})
    return render_template("proposals/committee_index.html", rows=rows, form=form)


@bp.route("/committee/proposals/new", methods=["POST"])
def create_proposal():
    rows = services.proposals_with_latest(db.session, published_only=False)
    form = NewProposalForm()
    form.jurisdiction_id.choices = _jurisdiction_choices({p.jurisdiction_id for p, _ in rows})
    if form.validate_on_submit():
        try:
            proposal = services.create_proposal(
                db.session, jurisdiction_id=form.jurisdiction_id.data, title=form.title.data, author_id=current_user.id
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Created “%(title)s” with a draft version 1.", title=proposal.title), "success")
            return redirect(url_for("proposals.edit_version", version_id=proposal.versions[0].id))
    return render_template("proposals/committee_index.html", rows=rows, form=form), 400


def _proposal_or_404(proposal_id: int) -> Proposal:
    return db.session.get(Proposal, proposal_id) or abort(404)


def _version_or_404(version_id: int) -> ProposalVersion:
    return db.session.get(ProposalVersion, version_id) or abort(404)


def _compare_form(versions: list[ProposalVersion]) -> CompareForm:
    form = CompareForm(request.args)
    choices = [(v.number, f"v{v.number}" + ("" if v.is_published else " (draft)")) for v in versions]
    form.old.choices = form.new.choices = choices
    if not request.args and len(versions) >= 2:
        form.new.data, form.old.data = versions[0].number, versions[1].number
    return form


@bp.route(f"/committee/proposals/<int(max={MAX_INT}):proposal_id>")
def committee_proposal(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    versions = services.versions_of(db.session, proposal.id)
    return render_template(
        "proposals/committee_proposal.html",
        proposal=proposal,
        versions=versions,
        compare_form=_compare_form(versions),
        confirm=ConfirmForm(),
        draft=next((v for v in versions if not v.is_published), None),
    )


@bp.route(f"/committee/proposals/<int(max={MAX_INT}):proposal_id>/versions/new", methods=["POST"])
def start_version(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        version = services.start_next_version(db.session, proposal.id, author_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "warning")
        draft = services.draft_of(db.session, proposal.id)
        return redirect(
            url_for("proposals.edit_version", version_id=draft.id)
            if draft
            else url_for("proposals.committee_proposal", proposal_id=proposal.id)
        )
    db.session.commit()
    flash(
        gettext(
            "Started version %(number)s from the text of version %(previous)s.",
            number=version.number,
            previous=version.number - 1,
        )
        if version.number > 1
        else gettext("Started version 1."),
        "success",
    )
    return redirect(url_for("proposals.edit_version", version_id=version.id))


@bp.route(f"/committee/proposals/versions/<int(max={MAX_INT}):version_id>")
def show_version(version_id):
    version = _version_or_404(version_id)
    return render_template(
        "proposals/version.html",
        version=version,
        proposal=version.proposal,
        where_it_went=services.where_it_went_for(db.session, version),
        confirm=ConfirmForm(),
    )


@bp.route(f"/committee/proposals/versions/<int(max={MAX_INT}):version_id>/edit", methods=["GET", "POST"])
@csrf.exempt  # CSRF is checked below, once this route's larger upload limit is in place
def edit_version(version_id):
    if request.method == "POST":
        request.max_content_length = files.max_pdf_bytes() + FORM_OVERHEAD_BYTES
        csrf.protect()
    version = _version_or_404(version_id)
    if version.is_published:
        flash(gettext(services.PUBLISHED_MESSAGE, number=version.number), "warning")
        return redirect(url_for("proposals.show_version", version_id=version.id), 303)
    form = VersionForm(obj=version)
    if form.validate_on_submit():
        upload = form.pdf.data
        pdf_data = upload.read(files.max_pdf_bytes() + 1) if upload and upload.filename else None
        try:
            services.update_draft(
                db.session,
                version,
                body=form.body.data or "",
                change_summary=form.change_summary.data or "",
                pdf_data=pdf_data,
                pdf_filename=upload.filename if pdf_data is not None else None,
                remove_pdf=form.remove_pdf.data,
                author_id=current_user.id,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Saved the draft of version %(number)s.", number=version.number), "success")
            return redirect(url_for("proposals.show_version", version_id=version.id))
    return render_template(
        "proposals/edit_version.html", form=form, version=version, proposal=version.proposal
    ), 200 if not form.errors else 400


@bp.route(f"/committee/proposals/versions/<int(max={MAX_INT}):version_id>/publish", methods=["POST"])
def publish_version(version_id):
    version = _version_or_404(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.publish_version(db.session, version)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "warning")
        target = "edit_version" if not version.is_published else "show_version"
        return redirect(url_for(f"proposals.{target}", version_id=version.id))
    db.session.commit()
    flash(
        gettext(
            "Published version %(number)s. It can no longer change; anyone can now read it.", number=version.number
        ),
        "success",
    )
    return redirect(url_for("proposals.show_version", version_id=version.id))


@bp.route(f"/committee/proposals/<int(max={MAX_INT}):proposal_id>/compare")
def compare(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    versions = services.versions_of(db.session, proposal.id)
    form = _compare_form(versions)
    by_number = {v.number: v for v in versions}
    old, new = by_number.get(form.old.data), by_number.get(form.new.data)
    if old is None or new is None:
        flash(gettext("Choose two versions of this proposal to compare."), "warning")
        return redirect(url_for("proposals.committee_proposal", proposal_id=proposal.id))
    rows = services.compare_bodies(old.body, new.body)
    return render_template(
        "proposals/compare.html",
        proposal=proposal,
        old=old,
        new=new,
        rows=rows,
        counts=services.diff_counts(rows),
        form=form,
    )


# --- Committee: the asks scoreboard --------------------------------------------------------------
@bp.route("/committee/asks/<ask_code>/<jurisdiction_code>", methods=["GET", "POST"])
def edit_ask_status(ask_code, jurisdiction_code):
    found = ask_services.ask_and_jurisdiction(db.session, ask_code, jurisdiction_code) or abort(404)
    ask, jurisdiction = found
    history = ask_services.status_history(db.session, ask.id, jurisdiction.id)
    form = AskStatusForm(obj=history[0] if history and request.method == "GET" else None)
    if request.method == "GET" and history:  # start from the current entry, but its date and note are its own
        form.as_of.data, form.note.data = date.today(), None
    if ask.figure_label:
        form.figure.label.text = gettext("%(label)s (optional)", label=translate_data(ask.figure_label))
    if form.validate_on_submit():
        try:
            ask_services.record_ask_status(
                db.session,
                ask=ask,
                jurisdiction=jurisdiction,
                status=form.status.data,
                figure=form.figure.data,
                program_name=form.program_name.data,
                source_url=form.source_url.data,
                as_of=form.as_of.data,
                note=form.note.data,
                recorded_by_id=current_user.id,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Recorded the status of “%(ask)s” in %(place)s.",
                    ask=translate_data(ask.short_title),
                    place=jurisdiction_name(jurisdiction),
                ),
                "success",
            )
            return redirect(url_for("proposals.scoreboard"))
    return render_template(
        "proposals/ask_status.html", form=form, ask=ask, jurisdiction=jurisdiction, history=history
    ), 200 if not form.errors else 400
