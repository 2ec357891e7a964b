"""Interaction pages: log, list, export, follow-ups, timelines, member #mppchats reports, social posts."""

from datetime import date, datetime, time

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from crm.audit.services import record
from crm.extensions import db
from crm.interactions import lists, member_reports, services
from crm.interactions.forms import (
    FollowUpForm,
    FollowUpStatusForm,
    InteractionFilterForm,
    InteractionForm,
    MppChatForm,
    SocialPostForm,
)
from crm.interactions.models import FOLLOW_UP_STATUSES, FollowUp, Interaction
from crm.interactions.timeline import timeline_for
from crm.lib.archive import archive_view
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.pagination import page_args, paginate
from crm.proposals.services import version_groups
from crm.reference.models import Jurisdiction
from crm.stakeholders import parties
from crm.stakeholders.models import Organization, Person

bp = Blueprint("interactions", __name__, url_prefix="/interactions")


def _page_args():
    try:
        return page_args(request.args, default=50, maximum=200)
    except ValueError:
        return 50, 0


def _jurisdiction_choices(blank: str):
    return [("", blank)] + [
        (str(j.id), f"{j.name} ({j.code})")
        for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.name))
    ]


def _user_choices(blank: str):
    return [("", blank)] + [(str(u.id), u.name) for u in db.session.scalars(services.staff_users())]


def _refuse(interaction: Interaction, operation: str):
    """A member reached for something that is not theirs: log the attempt, then 403."""
    record(db.session, "refused", "interactions", interaction.id, {"operation": operation})
    db.session.commit()
    abort(403)


def _readable(interaction_id: int, operation: str = "read") -> Interaction:
    interaction = services.load_interaction(db.session, interaction_id)
    if interaction is None:
        abort(404)
    if not services.can_read(current_user, interaction):
        _refuse(interaction, operation)
    return interaction


# --- list and export -----------------------------------------------------------------------------


def _filter_form() -> tuple[InteractionFilterForm, lists.InteractionFilters]:
    form = InteractionFilterForm(request.args)
    form.jurisdiction_id.choices = _jurisdiction_choices(gettext("Any jurisdiction"))
    # Only the chosen stakeholder is rendered (all of them would make every list page heavy); the
    # search box of interactions.js finds others, and timelines link here with a stakeholder
    # chosen.
    chosen = request.args.get("stakeholder", "")
    label = parties.party_label(db.session, chosen)
    form.stakeholder.choices = [("", gettext("Any stakeholder"))] + ([(chosen, label)] if label else [])
    form.participant.choices = _user_choices(gettext("Anyone at ITPO"))
    valid = form.validate()
    filters = lists.InteractionFilters(
        kind=form.kind.data or None,
        hashtag=(form.hashtag.data or None) if not form.hashtag.errors else None,
        jurisdiction_id=form.jurisdiction_id.data,
        stakeholder=form.stakeholder.data or None,
        participant_user_id=form.participant.data,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
    )
    del valid
    return form, filters


@bp.route("/")
def index():
    form, filters = _filter_form()
    limit, offset = _page_args()
    page = lists.interactions_page(
        db.session, filters, limit=limit, offset=offset, exact=request.args.get("count") == "all"
    )
    return render_template("interactions/index.html", form=form, page=page)


@bp.route("/export.<fmt>")
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    _form, filters = _filter_form()
    rows = lists.export_rows(db.session, lists.filtered_interactions(filters))
    stamp = date.today().isoformat()
    if fmt == "csv":
        return Response(
            lists.to_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename=interactions-{stamp}.csv"},
        )
    return Response(
        lists.to_xlsx(rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=interactions-{stamp}.xlsx"},
    )


# --- logging and editing -------------------------------------------------------------------------


def _prepare(form: InteractionForm) -> None:
    # Only chosen participants are looked up: the directory (100,000 people) is never put in the page.
    labels = parties.party_labels(db.session, [row.who.data for row in form.participants if row.who.data])
    for row in form.participants:
        if row.who.data and not row.who_name.data:
            row.who_name.data = labels.get(row.who.data, "")
    users = _user_choices(gettext("Unassigned"))
    for row in form.follow_ups:
        row.assignee_id.choices = users
    form.jurisdiction_id.choices = _jurisdiction_choices(gettext("None"))
    form.proposal_version_id.offer(version_groups(db.session))


def _party_ref(participant) -> str:
    kind = "person" if participant.person_id else "organization" if participant.organization_id else "user"
    return f"{kind}:{getattr(participant, kind + '_id')}"


def _input_from(form: InteractionForm) -> services.InteractionInput:
    follow_ups = []
    for row in form.follow_ups:
        if row.title.data and row.title.data.strip():
            if row.due_date.data is None:
                raise ValidationError("follow_ups", gettext("Give each follow-up a due date."))
            follow_ups.append(services.FollowUpInput(row.title.data.strip(), row.due_date.data, row.assignee_id.data))
    return services.InteractionInput(
        kind=form.kind.data,
        occurred_at=form.occurred_at.data,
        title=form.title.data.strip(),
        summary=form.summary.data or None,
        outcome=form.outcome.data or None,
        hashtags=form.hashtags.data,
        jurisdiction_id=form.jurisdiction_id.data,
        proposal_version_id=form.proposal_version_id.data,
        participants=[
            services.ParticipantInput(row.who.data or "", row.role.data, row.who_name.data or "")
            for row in form.participants
        ],
        follow_ups=follow_ups,
        meeting_format=form.meeting_format.data or None,
        platform=form.platform.data or None,
        url=form.url.data or None,
        reach=form.reach.data,
        posted_by=(form.posted_by.data or "").strip() or None,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = InteractionForm()
    if request.method == "GET":
        form.occurred_at.data = datetime.now().replace(second=0, microsecond=0)
        if request.args.get("with"):
            form.participants[0].who.data = request.args["with"]
    _prepare(form)
    if form.validate_on_submit():
        try:
            interaction = services.log_interaction(db.session, current_user, _input_from(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Interaction logged."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/form.html", form=form, interaction=None)


@bp.route("/<int:interaction_id>")
def detail(interaction_id):
    interaction = _readable(interaction_id)
    if not current_user.is_staff:
        return render_template("interactions/mppchat_detail.html", interaction=interaction)
    users = _user_choices(gettext("Unassigned"))
    follow_up_form = FollowUpForm()
    follow_up_form.assignee_id.choices = users
    return render_template(
        "interactions/detail.html",
        interaction=interaction,
        follow_up_form=follow_up_form,
        status_form=FollowUpStatusForm(),
        today=date.today(),
    )


@bp.route("/<int:interaction_id>/edit", methods=["GET", "POST"])
def edit(interaction_id):
    interaction = _readable(interaction_id, "edit")
    if not current_user.is_staff:
        return _edit_report(interaction)
    form = InteractionForm(obj=interaction if request.method == "GET" else None)
    if request.method == "GET":
        while len(form.participants) < len(interaction.participants) + 2:
            form.participants.append_entry()
        for row, participant in zip(form.participants, interaction.participants, strict=False):
            row.who.data = _party_ref(participant)
            row.role.data = participant.role
    _prepare(form)
    if form.validate_on_submit():
        try:
            data = _input_from(form)
            data.follow_ups = []  # follow-ups are added and closed on the interaction's page
            services.update_interaction(db.session, interaction, data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Interaction saved."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/form.html", form=form, interaction=interaction)


@bp.route("/<int:interaction_id>/archive", methods=["POST"])
def archive(interaction_id):
    interaction = _readable(interaction_id, "archive")
    return archive_view(
        interaction, gettext("Interaction"), url_for("interactions.detail", interaction_id=interaction.id)
    )


# --- follow-ups ----------------------------------------------------------------------------------


@bp.route("/<int:interaction_id>/follow-ups", methods=["POST"])
def add_follow_up(interaction_id):
    interaction = db.get_or_404(Interaction, interaction_id)
    form = FollowUpForm()
    form.assignee_id.choices = _user_choices(gettext("Unassigned"))
    if form.validate_on_submit():
        try:
            services.add_follow_up(
                db.session,
                interaction,
                services.FollowUpInput(form.title.data.strip(), form.due_date.data, form.assignee_id.data),
            )
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("Follow-up added."), "success")
    else:
        flash(
            " ".join(e for errors in form.errors.values() for e in errors) or gettext("Check the follow-up."), "danger"
        )
    return redirect(url_for("interactions.detail", interaction_id=interaction_id))


@bp.route("/follow-ups/<int:follow_up_id>/status", methods=["POST"])
def follow_up_status(follow_up_id):
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    form = FollowUpStatusForm()
    if form.validate_on_submit():
        services.set_follow_up_status(db.session, follow_up, form.status.data)
        db.session.commit()
        status = dict(FOLLOW_UP_STATUSES)[follow_up.status]
        flash(
            gettext("Follow-up “%(title)s” is now %(status)s.", title=follow_up.title, status=gettext(status).lower()),
            "success",
        )
    else:
        flash(gettext("Choose a status from the list."), "danger")
    target = request.form.get("back")
    if target == "mine":
        return redirect(url_for("interactions.my_follow_ups"))
    return redirect(url_for("interactions.detail", interaction_id=follow_up.interaction_id))


@bp.route("/follow-ups/mine")
def my_follow_ups():
    follow_ups = db.session.scalars(services.open_follow_ups_for(current_user.id)).all()
    return render_template(
        "interactions/my_follow_ups.html", follow_ups=follow_ups, today=date.today(), status_form=FollowUpStatusForm()
    )


# --- participant search --------------------------------------------------------------------------


@bp.route("/participants/search")
def participant_search():
    kinds = (
        tuple(
            k for k in (request.args.get("types") or "person,organization,user").split(",") if k in parties.PARTY_KINDS
        )
        or parties.PARTY_KINDS
    )
    return jsonify(items=parties.search_parties(db.session, request.args.get("q", ""), kinds))


# --- timelines -----------------------------------------------------------------------------------


@bp.route("/timeline/person/<int:person_id>")
def person_timeline(person_id):
    person = db.get_or_404(Person, person_id)
    limit, offset = _page_args()
    page = timeline_for(db.session, person_id=person.id, limit=limit, offset=offset)
    return render_template(
        "interactions/timeline.html",
        name=person.full_name,
        page=page,
        endpoint="interactions.person_timeline",
        new_with=f"person:{person.id}",
    )


@bp.route("/timeline/organization/<int:organization_id>")
def organization_timeline(organization_id):
    organization = db.get_or_404(Organization, organization_id)
    limit, offset = _page_args()
    page = timeline_for(db.session, organization_id=organization.id, limit=limit, offset=offset)
    name = f"{organization.name} ({organization.acronym})" if organization.acronym else organization.name
    return render_template(
        "interactions/timeline.html",
        name=name,
        page=page,
        endpoint="interactions.organization_timeline",
        new_with=f"organization:{organization.id}",
    )


# --- member #mppchats reports --------------------------------------------------------------------


def _mpp_form(form: MppChatForm) -> None:
    form.person_id.choices = [("", "— choose —")] + [
        (str(person.id), f"{person.full_name} — {office.district.name}")
        for person, office in member_reports.current_mpps(db.session)
    ]


def _report_input(form: MppChatForm) -> member_reports.MppChatInput:
    if form.person_id.data is None:
        raise ValidationError("person_id", gettext("Choose your MPP from the list."))
    return member_reports.MppChatInput(
        occurred_on=form.occurred_on.data,
        meeting_format=form.meeting_format.data,
        person_id=form.person_id.data,
        summary=form.summary.data,
        outcome=form.outcome.data or None,
    )


@bp.route("/mppchats/report", methods=["GET", "POST"])
def report_mppchat():
    form = MppChatForm()
    _mpp_form(form)
    if request.method == "GET":
        form.occurred_on.data = date.today()
        mpp = member_reports.mpp_for_member(db.session, current_user)
        form.person_id.data = mpp.id if mpp else None
    if form.validate_on_submit():
        try:
            interaction = member_reports.report_mppchat(db.session, current_user, _report_input(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Thank you! Your #mppchats report is with the advocacy committee."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/mppchat_form.html", form=form, interaction=None)


def _edit_report(interaction: Interaction):
    form = MppChatForm()
    _mpp_form(form)
    if request.method == "GET":
        form.occurred_on.data = interaction.occurred_at.date()
        form.meeting_format.data = interaction.meeting_format
        form.person_id.data = next((p.person_id for p in interaction.stakeholders), None)
        form.summary.data = interaction.summary
        form.outcome.data = interaction.outcome
    if form.validate_on_submit():
        try:
            member_reports.update_mppchat(db.session, interaction, current_user, _report_input(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Your report is updated."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/mppchat_form.html", form=form, interaction=interaction)


@bp.route("/mppchats/mine")
def my_reports():
    limit, offset = _page_args()
    page = paginate(db.session, member_reports.member_reports(current_user.id), limit=limit, offset=offset)
    return render_template("interactions/my_reports.html", page=page)


# --- #skillstohelp and other social posts --------------------------------------------------------


@bp.route("/posts")
def posts():
    hashtag = (request.args.get("hashtag") or "").strip()[:60] or None
    limit, offset = _page_args()
    page = lists.interactions_page(
        db.session,
        lists.InteractionFilters(kind="social_post", hashtag=hashtag),
        limit=limit,
        offset=offset,
        exact=request.args.get("count") == "all",
    )
    return render_template("interactions/posts.html", page=page, hashtag=hashtag or "")


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    form = SocialPostForm()
    if request.method == "GET":
        form.occurred_on.data = date.today()
    if form.validate_on_submit():
        platform = dict(form.platform.choices).get(form.platform.data, form.platform.data)
        posted_by = (form.posted_by.data or "").strip()
        data = services.InteractionInput(
            kind="social_post",
            occurred_at=datetime.combine(form.occurred_on.data, time(0, 0)),
            title=f"{platform} post by {posted_by}"[:200],
            summary=form.summary.data or None,
            hashtags=form.hashtags.data,
            platform=form.platform.data,
            url=form.url.data,
            reach=form.reach.data,
            posted_by=posted_by,
        )
        try:
            interaction = services.log_interaction(db.session, current_user, data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Post logged."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/post_form.html", form=form)
