"""The lead's campaign pages: campaigns, letter templates, targets, the campaign's page and its letters."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from crm.audit.services import record
from crm.campaigns import flow, reading, sandbox, services, similarity, template_quality
from crm.campaigns.blueprint import bp
from crm.campaigns.forms import CampaignForm, EmptyForm, TargetForm, TemplateForm
from crm.campaigns.models import Campaign, Letter, LetterTemplate
from crm.extensions import db
from crm.legislatures.coverage import coverage
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import normalise
from crm.lib.pagination import page_args, paginate
from crm.proposals.services import version_groups
from crm.reference.models import Jurisdiction
from crm.reference.names import jurisdiction_name, legislature_name, member_title
from crm.stakeholders.parties import enhance_picker, parse_party_ref, resolve_party


def _managed_campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


# --- the lead's pages -----------------------------------------------------------------------------


def _jurisdiction_choice(jurisdiction: Jurisdiction) -> str:
    """ "Ontario: Legislative Assembly of Ontario (MPP)", in the page's language."""
    return gettext(
        "%(place)s: %(legislature)s (%(title)s)",
        place=jurisdiction_name(jurisdiction),
        legislature=legislature_name(jurisdiction),
        title=member_title(jurisdiction.member_title),
    )


def _campaign_form(form: CampaignForm) -> CampaignForm:
    form.jurisdiction_id.choices = [
        (j.id, _jurisdiction_choice(j)) for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.name))
    ]
    form.proposal_version_id.offer(version_groups(db.session))
    return form


def _campaign_values(form: CampaignForm) -> dict:
    return {name: getattr(form, name).data for name in services.CAMPAIGN_FIELDS}


@bp.route("/manage/campaigns")
def manage():
    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError:
        limit, offset = 50, 0
    page = paginate(db.session, services.list_campaigns(), limit=limit, offset=offset)
    counts = services.letter_counts_by_campaign(db.session, [c.id for c in page.items])
    stopped = reading.stopped_by_legislature(db.session)
    return render_template("campaigns/manage.html", page=page, counts=counts, stopped=stopped)


@bp.route("/manage/campaigns/new", methods=["GET", "POST"])
def new():
    form = _campaign_form(CampaignForm())
    if request.method == "GET":
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        form.jurisdiction_id.data = ontario
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(db.session, actor_id=current_user.id, **_campaign_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Campaign created as a draft. Now write its letter."), "success")
            return redirect(url_for("campaigns.template", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=None)


@bp.route("/manage/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id):
    campaign = _managed_campaign(campaign_id)
    form = _campaign_form(CampaignForm(obj=campaign))
    if form.validate_on_submit():
        try:
            services.update_campaign(db.session, campaign, **_campaign_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Campaign saved."), "success")
            return redirect(url_for("campaigns.dashboard", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=campaign)


@bp.route("/manage/campaigns/<int:campaign_id>/template", methods=["GET", "POST"])
def template(campaign_id):
    """The lead's template editor: a new letter starts from the skeleton; saving warns, never refuses, on
    what offices discount (template_quality)."""
    campaign = _managed_campaign(campaign_id)
    current, form = _template_and_form(campaign)
    shown = current if request.method == "GET" else None  # the version whose sample and warnings the page shows
    if form.is_submitted() and form.add_block.data:  # CSRFProtect has already checked the token
        form.blocks.append_entry()
    elif form.validate_on_submit():
        blocks = [
            services.BlockInput(
                kind=entry.form.kind.data,
                body=entry.form.body.data or "",
                label=entry.form.label.data,
                min_length=entry.form.min_length.data or 0,
            )
            for entry in form.blocks
        ]
        try:
            saved, _ = services.save_template(
                db.session,
                campaign,
                subject=form.subject.data,
                blocks=blocks,
                actor_id=current_user.id,
                language=form.language.data,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Saved version %(version)s. Below is the letter as the sample member would see it.",
                    version=saved.version,
                ),
                "success",
            )
            current = shown = saved
    return render_template(
        "campaigns/template.html",
        campaign=campaign,
        form=form,
        sample=_sample_of(shown),
        warnings=template_quality.template_warnings(shown.blocks) if shown else [],
        versions=services.template_versions(db.session, campaign.id),
        placeholders=sandbox.PLACEHOLDERS,
        current=current,
    )


def _sample_of(template: LetterTemplate | None):
    """The sample letter of a version, marked up; None if it no longer renders (the dashboard lists failures)."""
    if template is None:
        return None
    try:
        return template_quality.sample_markup(services.sample_letter(template))
    except services.TemplateFailed:
        return None


def _template_and_form(campaign: Campaign) -> tuple[LetterTemplate | None, TemplateForm]:
    """The current version in the language asked (?language=fr; English by default) and the editor's form."""
    language = normalise(request.values.get("language")) or "en"
    current = services.current_template(db.session, campaign.id, language)
    if request.method != "GET":
        return current, TemplateForm()
    return current, TemplateForm(data={**_template_form_data(campaign, current), "language": language})


def _template_form_data(campaign: Campaign, current: LetterTemplate | None) -> dict:
    """The editor's starting text: the current version, or the skeleton for a campaign's first letter."""
    if current is not None:
        subject, blocks = current.subject, current.blocks
    else:
        subject, blocks = template_quality.letter_skeleton(db.session, campaign)
    return {
        "subject": subject,
        "blocks": [{"kind": b.kind, "label": b.label, "body": b.body, "min_length": b.min_length} for b in blocks],
    }


@bp.route("/manage/campaigns/<int:campaign_id>/targets", methods=["GET", "POST"])
def targets(campaign_id):
    campaign = _managed_campaign(campaign_id)
    form = TargetForm()
    enhance_picker(form.person_name, form.person)
    if form.validate_on_submit():
        try:
            ref = resolve_party(db.session, form.person.data, form.person_name.data, ("person",), "person_name")
            services.add_target(db.session, campaign, parse_party_ref(ref)[1], form.email.data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Target added."), "success")
            return redirect(url_for("campaigns.targets", campaign_id=campaign.id))
    recipients = services.fixed_recipients(db.session, campaign)
    return render_template(
        "campaigns/targets.html",
        campaign=campaign,
        form=form,
        rows=list(zip(campaign.targets, recipients, strict=False)),
        remove_form=EmptyForm(),
    )


@bp.route("/manage/campaigns/<int:campaign_id>/targets/<int:target_id>/remove", methods=["POST"])
def remove_target(campaign_id, target_id):
    campaign = _managed_campaign(campaign_id)
    if EmptyForm().validate_on_submit():
        services.remove_target(db.session, campaign, target_id)
        db.session.commit()
        flash(gettext("Target removed."), "info")
    return redirect(url_for("campaigns.targets", campaign_id=campaign.id))


@bp.route("/manage/campaigns/<int:campaign_id>")
def dashboard(campaign_id):
    campaign = _managed_campaign(campaign_id)
    try:
        limit, offset = page_args(request.args, default=25, maximum=100)
    except ValueError:
        limit, offset = 25, 0
    page = paginate(db.session, services.latest_letters(campaign.id), limit=limit, offset=offset)
    stats = services.campaign_stats(db.session, campaign)
    return render_template(
        "campaigns/dashboard.html",
        campaign=campaign,
        page=page,
        stats=stats,
        template=services.current_template(db.session, campaign.id),
        failures=flow.template_failures(db.session, campaign.id),
        coverage=coverage(db.session, campaign.jurisdiction) if campaign.kind == "own_representative" else None,
    )


@bp.route("/manage/campaigns/<int:campaign_id>/stats.json")
def stats(campaign_id):
    campaign = _managed_campaign(campaign_id)
    return jsonify(services.campaign_stats(db.session, campaign))


@bp.route("/manage/campaigns/<int:campaign_id>/letters/<int:letter_id>")
def letter(campaign_id, letter_id):
    """A lead opens one letter's body; the opening is written to the audit log."""
    found = db.session.scalar(services.latest_letters(campaign_id).where(Letter.id == letter_id))
    if found is None:
        abort(404)
    record(db.session, "view_letter", "letters", found.id)
    band = similarity.letter_band(db.session, found.id)
    db.session.commit()
    return render_template("campaigns/letter.html", letter=found, lead_view=True, band=band)
