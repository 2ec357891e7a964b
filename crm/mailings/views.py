"""Leads' pages for segments, mailings and who took part, and the public landing of the action link."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from crm.auth.models import User
from crm.campaigns.models import Campaign
from crm.extensions import db
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.pagination import page_args, paginate
from crm.lib.spreadsheets import write_csv
from crm.mailings import links, reports, services
from crm.mailings.forms import ActionForm, MailingForm, SegmentForm, SendForm
from crm.mailings.models import Mailing, MailingRecipient, Segment
from crm.mailings.segments import count_by_language, count_members
from crm.members.models import MemberProfile
from crm.members.small_counts import protect, shown_count
from crm.programs.models import Program
from crm.reference.models import ElectoralDistrict
from crm.stakeholders.files import write_xlsx

bp = Blueprint("mailings", __name__)
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.app_context_processor
def mailing_figures():
    """`mailing_conversion(campaign_id)` for the campaign dashboard's Mailings section (campaigns/dashboard.html
    includes mailings/_conversion.html): the campaigns package shows it without importing this one."""
    return {"mailing_conversion": lambda campaign_id: reports.mailing_conversion(db.session, campaign_id)}


def _distinct(column) -> list[tuple[str, str]]:
    values = db.session.scalars(
        select(func.lower(column)).where(column.is_not(None)).distinct().order_by(func.lower(column)).limit(300)
    )
    return [(value, value) for value in values if value]


def _segment_form(data=None) -> SegmentForm:
    form = SegmentForm(data=data)
    form.district_ids.choices = [
        (d.id, f"{d.number} {d.name}")
        for d in db.session.scalars(select(ElectoralDistrict).order_by(ElectoralDistrict.number))
    ]
    form.training_countries.choices = _distinct(MemberProfile.training_country)
    form.specialties.choices = _distinct(MemberProfile.specialty)
    form.programs_registered.choices = form.programs_attended.choices = [
        (p.id, p.name) for p in db.session.scalars(select(Program).order_by(Program.position))
    ]
    campaigns = [("", "Any")] + [
        (str(c.id), c.name)
        for c in db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    ]
    form.wrote_in.choices = form.not_wrote_in.choices = campaigns
    return form


def _filters_of(form: SegmentForm) -> dict:
    return {
        name: getattr(form, name).data
        for name in (
            "province",
            "district_ids",
            "licensure_stages",
            "training_countries",
            "specialties",
            "programs_registered",
            "programs_attended",
            "joined_from",
            "joined_to",
            "wrote_in",
            "not_wrote_in",
        )
    }


# --- segments -------------------------------------------------------------------------------------


@bp.route("/manage/segments", methods=["GET", "POST"])
def segments():
    return _segment_page(None)


@bp.route("/manage/segments/<int:segment_id>", methods=["GET", "POST"])
def segment(segment_id):
    return _segment_page(db.get_or_404(Segment, segment_id))


def _segment_page(segment: Segment | None):
    """Count the filters (the Count button) or save them as a segment (Save)."""
    data = dict(segment.filters, name=segment.name) if segment and request.method == "GET" else None
    form = _segment_form(data=data)
    count = None
    if form.validate_on_submit():
        try:
            filters = services.clean_filters(_filters_of(form))
            count = count_members(db.session, filters)
            if form.save.data:
                if not (form.name.data or "").strip():
                    raise ValidationError("name", gettext("Give the segment a name to save it."))
                saved = services.save_segment(
                    db.session, name=form.name.data, filters=filters, actor_id=current_user.id, segment=segment
                )
                db.session.commit()
                flash(
                    gettext(
                        "Segment “%(name)s” saved: it reaches %(shown_count)s members today.",
                        name=saved.name,
                        shown_count=shown_count(count),
                    ),
                    "success",
                )
                return redirect(url_for("mailings.segment", segment_id=saved.id))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
    elif segment is not None and request.method == "GET":
        count = count_members(db.session, segment.filters)
    return render_template(
        "mailings/segments.html",
        form=form,
        segment=segment,
        segments=services.list_segments(db.session),
        count=None if count is None else shown_count(count),
        matched=count,
    )


# --- mailings -------------------------------------------------------------------------------------


def _mailing_form(obj=None) -> MailingForm:
    form = MailingForm(obj=obj)
    form.segment_id.choices = [(s.id, s.name) for s in services.list_segments(db.session)]
    return form


@bp.route("/manage/campaigns/<int:campaign_id>/mailings", methods=["GET", "POST"])
def campaign_mailings(campaign_id):
    """The campaign's mailings, and a new draft."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = _mailing_form()
    if form.validate_on_submit():
        try:
            mailing = services.save_mailing(
                db.session,
                campaign=campaign,
                segment=db.session.get(Segment, form.segment_id.data),
                subject=form.subject.data,
                body=form.body.data,
                subject_fr=form.subject_fr.data,
                body_fr=form.body_fr.data,
                actor_id=current_user.id,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Draft saved. Check the preview, send yourself a test, then send it."), "success")
            return redirect(url_for("mailings.mailing", mailing_id=mailing.id))
    mailings = db.session.scalars(
        select(Mailing).where(Mailing.campaign_id == campaign.id).order_by(Mailing.created_at.desc(), Mailing.id.desc())
    ).all()
    return render_template(
        "mailings/campaign.html",
        campaign=campaign,
        mailings=mailings,
        form=form,
        placeholders=services.MAILING_PLACEHOLDERS,
    )


@bp.route("/manage/mailings/<int:mailing_id>", methods=["GET", "POST"])
def mailing(mailing_id):
    """A mailing: edit the draft, preview it as three members, send a test, send or schedule, cancel."""
    found = db.get_or_404(Mailing, mailing_id)
    form = _mailing_form(obj=found)
    if found.status == "draft" and form.validate_on_submit():
        try:
            services.save_mailing(
                db.session,
                campaign=found.campaign,
                segment=db.session.get(Segment, form.segment_id.data),
                subject=form.subject.data,
                body=form.body.data,
                subject_fr=form.subject_fr.data,
                body_fr=form.body_fr.data,
                actor_id=current_user.id,
                mailing=found,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Draft saved."), "success")
            return redirect(url_for("mailings.mailing", mailing_id=found.id))
    return _mailing_page(found, form)


def _mailing_page(found: Mailing, form: MailingForm, send_form: SendForm | None = None):
    samples, problem, count, languages = [], None, None, {}
    try:
        languages = count_by_language(db.session, services.mailing_filters(found))
        count = sum(languages.values())
        samples = services.preview(db.session, found) if found.status == "draft" else []
    except ValidationError as error:
        problem = error.message
    skipped = db.session.execute(
        select(User.name, MailingRecipient.skipped_reason)
        .join(User, User.id == MailingRecipient.user_id)
        .where(MailingRecipient.mailing_id == found.id, MailingRecipient.skipped_reason.is_not(None))
        .order_by(User.name)
        .limit(100)
    ).all()
    return render_template(
        "mailings/mailing.html",
        mailing=found,
        form=form,
        send_form=send_form or SendForm(),
        action_form=ActionForm(),
        samples=samples,
        problem=problem,
        skipped=skipped,
        count=None if count is None else shown_count(count),
        matched=count,
        languages=protect([(language, n) for language, n in languages.items() if n]) or [],
        placeholders=services.MAILING_PLACEHOLDERS,
    )


@bp.route("/manage/mailings/<int:mailing_id>/test", methods=["POST"])
def send_test(mailing_id):
    found = db.get_or_404(Mailing, mailing_id)
    if ActionForm().validate_on_submit():
        try:
            tests = services.send_test(db.session, found, current_user)
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            if len(tests) > 1:
                message = gettext(
                    "Two tests are on their way to %(email)s: the English marked [TEST], the French [TEST FR].",
                    email=current_user.email,
                )
            else:
                message = gettext("A test is on its way to %(email)s, marked [TEST].", email=current_user.email)
            flash(message, "success")
    return redirect(url_for("mailings.mailing", mailing_id=found.id))


@bp.route("/manage/mailings/<int:mailing_id>/send", methods=["POST"])
def send(mailing_id):
    found = db.get_or_404(Mailing, mailing_id)
    send_form = SendForm()
    if not send_form.validate_on_submit():
        return _mailing_page(found, _mailing_form(obj=found), send_form), 400
    try:
        count = services.send_mailing(db.session, found, actor_id=current_user.id, at=send_form.scheduled_at.data)
    except services.MailingNotDraft:
        db.session.rollback()
        flash(gettext("This mailing has already been sent or scheduled; it goes once."), "info")
    except ValidationError as error:
        db.session.rollback()
        apply_to_form(send_form, error)
        return _mailing_page(found, _mailing_form(obj=found), send_form), 400
    else:
        db.session.commit()
        if send_form.scheduled_at.data is None:
            sent = gettext(
                "The mailing to %(shown_count)s members goes out now. You can cancel it while it is queued.",
                shown_count=shown_count(count),
            )
        else:
            sent = gettext(
                "The mailing to %(shown_count)s members goes out at the time you chose. You can cancel it while it "
                "is queued.",
                shown_count=shown_count(count),
            )
        flash(sent, "success")
    return redirect(url_for("mailings.mailing", mailing_id=found.id))


@bp.route("/manage/mailings/<int:mailing_id>/cancel", methods=["POST"])
def cancel(mailing_id):
    found = db.get_or_404(Mailing, mailing_id)
    if ActionForm().validate_on_submit():
        try:
            stopped = services.cancel_mailing(db.session, found)
        except services.MailingNotDraft:
            db.session.rollback()
            flash(gettext("There is nothing left to cancel in this mailing."), "info")
        else:
            db.session.commit()
            flash(
                gettext("Mailing cancelled; %(stopped)s messages still waiting were stopped.", stopped=f"{stopped:,}"),
                "success",
            )
    return redirect(url_for("mailings.mailing", mailing_id=found.id))


# --- the action link ------------------------------------------------------------------------------


@bp.route("/act/<token>")
def act(token):
    """A member's action link: it leads to the letter, never logs anyone in."""
    try:
        link = links.read_token(token)
    except links.LinkProblem as problem:
        campaign = db.session.get(Campaign, problem.campaign_id) if problem.campaign_id else None
        return render_template("mailings/link_problem.html", expired=problem.expired, campaign=campaign), (
            410 if problem.expired else 400
        )
    campaign = db.session.get(Campaign, link.campaign_id)
    if campaign is None or campaign.status == "draft":
        return render_template("mailings/link_problem.html", expired=True, campaign=None), 410
    services.record_click(db.session, link)
    db.session.commit()
    target = url_for("campaigns.write", slug=campaign.slug, recipient=link.recipient_key or None)
    if current_user.is_authenticated:
        if current_user.id == link.user_id:
            return redirect(target)
        return render_template("mailings/someone_else.html", campaign=campaign)
    email = db.session.scalar(select(User.email).where(User.id == link.user_id))
    return redirect(url_for("auth.login", next=target, email=email))


# --- who took part --------------------------------------------------------------------------------


def _riding_filter() -> int | None:
    raw = request.args.get("district_id", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/manage/campaigns/<int:campaign_id>/participants")
def participants(campaign_id):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        limit, offset = page_args(request.args, default=50, maximum=500)
    except ValueError:
        limit, offset = 50, 0
    district_id = _riding_filter()
    page = paginate(
        db.session, reports.participants(campaign.id, district_id), limit=limit, offset=offset, scalars=False
    )
    districts = db.session.scalars(
        select(ElectoralDistrict)
        .where(ElectoralDistrict.jurisdiction_id == campaign.jurisdiction_id)
        .order_by(ElectoralDistrict.name)
    ).all()
    return render_template(
        "mailings/participants.html",
        campaign=campaign,
        page=page,
        districts=districts,
        district_id=district_id,
        action_form=ActionForm(),
    )


@bp.route("/manage/campaigns/<int:campaign_id>/participants.<fmt>")
def participants_export(campaign_id, fmt):
    campaign = db.get_or_404(Campaign, campaign_id)
    if fmt not in EXPORTS:
        abort(404, "Choose CSV or XLSX.")
    rows = [
        reports.participant_cells(row)
        for row in db.session.execute(reports.participants(campaign.id, _riding_filter()))
    ]
    data = (write_csv if fmt == "csv" else write_xlsx)(reports.PARTICIPANT_COLUMNS, rows)
    return Response(
        data,
        mimetype=EXPORTS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{campaign.slug}-participants.{fmt}"'},
    )


@bp.route("/manage/campaigns/<int:campaign_id>/participants/segment", methods=["POST"])
def participants_segment(campaign_id):
    """Make "wrote in this campaign" a saved segment (e.g. to thank those who wrote)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("mailings.participants", campaign_id=campaign.id))
    try:
        saved = services.segment_of_writers(db.session, campaign, actor_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("mailings.participants", campaign_id=campaign.id))
    db.session.commit()
    flash(gettext("Segment “%(name)s” saved: the members who wrote in this campaign.", name=saved.name), "success")
    return redirect(url_for("mailings.segment", segment_id=saved.id))
