"""Program pages: public programs and events, member registration, and the committee's tools."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.extensions import db
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.pagination import page_args, paginate
from crm.programs import attendees, library, services, speakers
from crm.programs.calendar import utc_to_toronto
from crm.programs.files import max_bytes, stored_path
from crm.programs.forms import (
    ActionForm,
    AssignSpeakerForm,
    AttendeeImportForm,
    EventForm,
    ResourceForm,
    ReviewOfferForm,
    SpeakerOfferForm,
)
from crm.programs.models import Event, Resource, SpeakerOffer
from crm.programs.reach import program_reach

bp = Blueprint("programs", __name__, url_prefix="/programs")


def program_helpers():
    def member_programs():
        """The member's registrations, attendance count and resources for their stage (home page)."""
        if not current_user.is_authenticated:
            return None
        stage = library.member_stage(db.session, current_user.id)
        return {
            "registrations": services.member_registrations(db.session, current_user.id),
            "attended": services.attended_count(db.session, current_user.id),
            "resources": library.resources_for(db.session, stage=stage) if stage else [],
            "stage": services.STAGE_LABELS.get(stage),
        }

    return {"member_programs": member_programs, "speaker_name": speakers.speaker_name}


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


def _event_or_404(event_id: int, *, staff_view: bool = False) -> Event:
    event = db.session.scalar(
        select(Event)
        .options(joinedload(Event.program), selectinload(Event.speakers).joinedload(SpeakerOffer.user))
        .where(Event.id == event_id)
    )
    if event is None or (event.status == "draft" and not (staff_view or _is_staff())):
        abort(404)
    return event


# --- public and member pages ---------------------------------------------------------------------


@bp.route("/")
def index():
    events = services.upcoming_events(db.session)
    return render_template(
        "programs/index.html",
        programs=services.list_programs(db.session),
        events=events,
        counts=services.registered_counts(db.session, [e.id for e in events]),
        state=services.event_state,
    )


@bp.route("/<slug>")
def program(slug):
    program = services.program_by_slug(db.session, slug)
    if program is None:
        abort(404)
    events = services.upcoming_events(db.session, program_id=program.id)
    resources = library.resources_for(db.session, program_id=program.id) if current_user.is_authenticated else []
    return render_template(
        "programs/program.html",
        program=program,
        events=events,
        resources=resources,
        counts=services.registered_counts(db.session, [e.id for e in events]),
        state=services.event_state,
        stages=services.STAGE_LABELS,
    )


@bp.route("/events/<int:event_id>")
def event(event_id):
    event = _event_or_404(event_id)
    registration = position = None
    if current_user.is_authenticated:
        registration = services.registration_for(db.session, event.id, current_user.id)
        if registration is not None:
            position = services.waitlist_position(db.session, registration)
    taken = services.registered_counts(db.session, [event.id]).get(event.id, 0)
    return render_template(
        "programs/event.html",
        event=event,
        registration=registration,
        position=position,
        taken=taken,
        state=services.event_state(event, taken),
        form=ActionForm(),
    )


def _act(action, back: str, success):
    """A one-button form: run the service, commit and flash `success(result)`, or flash why it was refused."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = action()
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(*success(result))
    return redirect(back)


def _registered_message(registration):
    if registration.status == "registered":
        return (
            gettext("You are registered. We have emailed you the details; add the event to your calendar below."),
            "success",
        )
    return gettext("The event is full, so you are on the waitlist. We will email you if a place opens up."), "info"


@bp.route("/events/<int:event_id>/register", methods=["POST"])
def register(event_id):
    return _act(
        lambda: services.register(db.session, event_id, current_user.id),
        url_for("programs.event", event_id=event_id),
        _registered_message,
    )


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
def cancel(event_id):
    return _act(
        lambda: services.cancel_registration(db.session, event_id, current_user.id),
        url_for("programs.event", event_id=event_id),
        lambda _: (gettext("Your registration is cancelled."), "success"),
    )


@bp.route("/events/<int:event_id>/calendar.ics")
def event_calendar(event_id):
    """The event as an .ics file, for members registered or waiting; the joining link only for the registered."""
    event = _event_or_404(event_id)
    registration = services.registration_for(db.session, event.id, current_user.id)
    if registration is None or registration.status == "cancelled":
        abort(404)
    page = url_for("programs.event", event_id=event.id, _external=True)
    registered = registration.status == "registered"
    body = services.calendar_file(event, page_url=page, include_join_link=registered)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="itpo-event-{event.id}.ics"'},
    )


@bp.route("/speak", methods=["GET", "POST"])
def offer_to_speak():
    form = SpeakerOfferForm()
    form.program_id.choices = [("", "Any program")] + [(p.id, p.name) for p in services.list_programs(db.session)]
    if form.validate_on_submit():
        try:
            speakers.offer_to_speak(
                db.session,
                user_id=current_user.id,
                route=form.route.data,
                topic=form.topic.data,
                consent_featured=form.consent_featured.data,
                program_id=form.program_id.data,
                ip_address=request.remote_addr,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Thank you! The committee will review your offer and contact you."), "success")
            return redirect(url_for("home.home"))
    return render_template("programs/speak.html", form=form)


@bp.route("/resources/<int:resource_id>/file")
def resource_file(resource_id):
    resource = db.session.get(Resource, resource_id)
    if resource is None or not resource.is_file or not stored_path(resource.stored_name).exists():
        abort(404)
    return send_file(
        stored_path(resource.stored_name),
        mimetype=resource.content_type,
        as_attachment=True,
        download_name=resource.original_name,
    )


# --- the committee's pages -----------------------------------------------------------------------


def _page_or_400():
    try:
        return page_args(request.args, default=25, maximum=100)
    except ValueError:
        abort(400)


@bp.route("/manage")
def manage():
    limit, offset = _page_or_400()
    stmt = select(Event).options(joinedload(Event.program)).order_by(Event.starts_at.desc(), Event.id.desc())
    page = paginate(db.session, stmt, limit=limit, offset=offset)
    return render_template(
        "programs/manage.html",
        page=page,
        counts=services.registered_counts(db.session, [e.id for e in page.items]),
        state=services.event_state,
    )


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=event)
    form.program_id.choices = [(p.id, p.name) for p in services.list_programs(db.session)]
    if event is not None and request.method == "GET":
        form.starts_at.data = utc_to_toronto(event.starts_at).replace(tzinfo=None)
        form.ends_at.data = utc_to_toronto(event.ends_at).replace(tzinfo=None)
    return form


def _event_values(form: EventForm) -> dict:
    return dict(
        program_id=form.program_id.data,
        title=form.title.data,
        description=form.description.data,
        starts_local=form.starts_at.data,
        ends_local=form.ends_at.data,
        capacity=form.capacity.data,
        status=form.status.data,
        join_url=form.join_url.data,
    )


@bp.route("/manage/events/new", methods=["GET", "POST"])
def new_event():
    form = _event_form()
    if form.validate_on_submit():
        try:
            event = services.create_event(db.session, created_by_id=current_user.id, **_event_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Event created."), "success")
            return redirect(url_for("programs.attendance", event_id=event.id))
    return render_template("programs/event_form.html", form=form, event=None)


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id):
    event = _event_or_404(event_id, staff_view=True)
    form = _event_form(event)
    if form.validate_on_submit():
        try:
            services.update_event(db.session, event_id, **_event_values(form))
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Event saved."), "success")
            return redirect(url_for("programs.attendance", event_id=event_id))
    return render_template("programs/event_form.html", form=form, event=event)


@bp.route("/manage/events/<int:event_id>", methods=["GET", "POST"])
def attendance(event_id):
    """The event's roster: mark who attended, import the platform's list, assign speakers."""
    event = _event_or_404(event_id, staff_view=True)
    form = ActionForm()
    if form.validate_on_submit():
        ids = {int(v) for v in request.form.getlist("attended") if v.isdigit() and len(v) < 12}
        try:
            count = attendees.set_attendance(db.session, event.id, ids, current_user.id)
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(gettext("Attendance saved: %(count)s attended.", count=count), "success")
            return redirect(url_for("programs.attendance", event_id=event.id))
    return _roster_page(event, form=form)


def _roster_page(event, *, form, import_form=None, report=None, status=200):
    assign_form = AssignSpeakerForm()
    assigned = {s.id for s in event.speakers}
    offers = db.session.scalars(
        select(SpeakerOffer)
        .options(joinedload(SpeakerOffer.user))
        .where(SpeakerOffer.status == "accepted")
        .order_by(SpeakerOffer.id)
    )
    assign_form.offer_id.choices = [(o.id, f"{o.user.name} ({o.route})") for o in offers if o.id not in assigned]
    taken = services.registered_counts(db.session, [event.id]).get(event.id, 0)
    return render_template(
        "programs/attendance.html",
        event=event,
        roster=services.event_roster(db.session, event.id),
        form=form,
        import_form=import_form or AttendeeImportForm(),
        assign_form=assign_form,
        report=report,
        taken=taken,
        state=services.event_state(event, taken),
    ), status


@bp.route("/manage/events/<int:event_id>/import", methods=["POST"])
def import_attendance(event_id):
    event = _event_or_404(event_id, staff_view=True)
    import_form = AttendeeImportForm()
    report = None
    if import_form.validate_on_submit():
        upload = import_form.file.data
        if not upload or not getattr(upload, "read", None):
            import_form.file.errors = ["Choose the CSV file to import."]
        else:
            try:
                report = attendees.import_attendance(db.session, event.id, upload.read(), current_user.id)
            except ValidationError as error:
                db.session.rollback()
                apply_to_form(import_form, error)
            else:
                db.session.commit()
                db.session.expire_all()
    return _roster_page(
        event, form=ActionForm(), import_form=import_form, report=report, status=400 if report is None else 200
    )


@bp.route("/manage/events/<int:event_id>/speakers", methods=["POST"])
def assign_speaker(event_id):
    offer_id = request.form.get("offer_id", "")
    offer_id = int(offer_id) if offer_id.isdigit() and len(offer_id) < 12 else 0
    return _act(
        lambda: speakers.assign_speaker(db.session, event_id, offer_id),
        url_for("programs.attendance", event_id=event_id),
        lambda _: ("Speaker assigned.", "success"),
    )


@bp.route("/manage/events/<int:event_id>/speakers/<int:offer_id>/remove", methods=["POST"])
def unassign_speaker(event_id, offer_id):
    return _act(
        lambda: speakers.unassign_speaker(db.session, event_id, offer_id),
        url_for("programs.attendance", event_id=event_id),
        lambda _: ("Speaker removed from the event.", "success"),
    )


@bp.route("/manage/speakers")
def speaker_offers():
    limit, offset = _page_or_400()
    stmt = (
        select(SpeakerOffer)
        .options(joinedload(SpeakerOffer.user), joinedload(SpeakerOffer.program))
        .order_by(SpeakerOffer.status.desc(), SpeakerOffer.id.desc())
    )
    page = paginate(db.session, stmt, limit=limit, offset=offset)
    return render_template("programs/speaker_offers.html", page=page, form=ReviewOfferForm())


@bp.route("/manage/speakers/<int:offer_id>/review", methods=["POST"])
def review_offer(offer_id):
    form = ReviewOfferForm()
    if form.validate_on_submit():
        try:
            offer = speakers.review_offer(db.session, offer_id, form.decision.data, current_user.id)
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(gettext("Offer accepted.") if offer.status == "accepted" else gettext("Offer declined."), "success")
    else:
        flash(gettext("Choose accept or decline."), "warning")
    return redirect(url_for("programs.speaker_offers"))


@bp.route("/manage/resources", methods=["GET", "POST"])
def resources():
    form = ResourceForm()
    form.program_id.choices = [(p.id, p.name) for p in services.list_programs(db.session)]
    status = 200
    if form.validate_on_submit():
        upload = form.file.data if getattr(form.file.data, "filename", None) else None
        data = upload.read(max_bytes() + 1) if upload else None
        try:
            library.add_resource(
                db.session,
                program_id=form.program_id.data,
                title=form.title.data,
                description=form.description.data,
                url=form.url.data,
                filename=upload.filename if upload else None,
                data=data,
                stages=form.stages.data,
                created_by_id=current_user.id,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
            status = 400
        else:
            db.session.commit()
            flash(gettext("Resource added."), "success")
            return redirect(url_for("programs.resources"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "programs/resources.html",
        form=form,
        resources=library.resources_for(db.session),
        stages=services.STAGE_LABELS,
        delete_form=ActionForm(),
    ), status


def _resource_deleted(stored_name):
    library.remove_stored_file(stored_name)  # only once the row is gone for good
    return "Resource deleted.", "success"


@bp.route("/manage/resources/<int:resource_id>/delete", methods=["POST"])
def delete_resource(resource_id):
    return _act(
        lambda: library.delete_resource(db.session, resource_id), url_for("programs.resources"), _resource_deleted
    )


@bp.route("/report")
def report():
    """Who each program reaches; counts under 5 are shown as 'fewer than 5'."""
    return render_template("programs/report.html", reach=program_reach(db.session))
