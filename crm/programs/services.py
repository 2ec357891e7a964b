"""Program services: programs, events, registrations with a waitlist, reminders (attendance, speakers and
resources have their own modules).

Services add and flush; the view or command commits once. Registrations and cancellations of one event
are serialised by `lock_event`, so two cancellations at once promote two different people, never one
person twice, and a full event never takes one registration too many.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, in_language, recipient_language
from crm.lib.schedule import Every, scheduled_job
from crm.members.models import LICENSURE_STAGES
from crm.outbox.services import queue_message
from crm.programs.calendar import NonexistentLocalTime, format_toronto, ics_event, toronto_to_utc
from crm.programs.models import Attendance, Event, Program, Registration, SpeakerOffer

# Marked N_: pages translate them ({{ program.name|tr }}); a renamed program shows as typed.
PROGRAMS = (
    (
        "cracking",
        N_("Cracking the CaRMS"),
        N_("Matched ITP residents share their experience, tips and advice for the CaRMS match in webinars."),
        "exams,carms",
    ),
    (
        "besides",
        N_("Besides the CaRMS"),
        N_(
            "ITPs who reached licensure by other routes, such as a Practice-Ready Assessment (PRA), come back to "
            "guide others along those routes."
        ),
        "carms,pra,clinical_assistant,other",
    ),
    (
        "between",
        N_("Between the CaRMS"),
        N_(
            "Useful ways to spend the time between CaRMS cycles and to strengthen a CV: clinical assistant roles, "
            "research, volunteering and observerships."
        ),
        "carms,clinical_assistant,other",
    ),
    (
        "before",
        N_("Before the CaRMS"),
        N_("Exam preparation resources for the MCCQE Part I and the NAC examination."),
        "exams",
    ),
)
STAGE_LABELS = dict(LICENSURE_STAGES)


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def _link(endpoint: str, **values) -> str:
    """An absolute link for a mail. Outside a request (`flask crm send-reminders`) without SERVER_NAME, the
    address comes from PUBLIC_BASE_URL (default http://localhost:5000)."""
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        base = current_app.config["PUBLIC_BASE_URL"]
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)


# --- programs ------------------------------------------------------------------------------------


def seed_programs(session: Session) -> int:
    """Create the four programs if missing (idempotent); returns how many were added."""
    existing = set(session.scalars(select(Program.slug)))
    added = 0
    for position, (slug, name, purpose, stages) in enumerate(PROGRAMS):
        if slug not in existing:
            session.add(Program(slug=slug, name=name, purpose=purpose, audience_stages=stages, position=position))
            added += 1
    session.flush()
    return added


def list_programs(session: Session) -> list[Program]:
    return list(session.scalars(select(Program).order_by(Program.position)))


def program_by_slug(session: Session, slug: str) -> Program | None:
    return session.scalar(select(Program).where(Program.slug == slug))


# --- events --------------------------------------------------------------------------------------


def event_state(event: Event, registered: int, now: datetime | None = None) -> str:
    """draft, open, full, past or cancelled: what a person sees. Only draft/open/cancelled are stored."""
    now = now or utcnow()
    if event.status in ("draft", "cancelled"):
        return event.status
    if event.ends_at <= now:
        return "past"
    return "full" if registered >= event.capacity else "open"


def registered_counts(session: Session, event_ids) -> dict[int, int]:
    """Places taken per event, in one query."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Registration.event_id, func.count())
        .where(Registration.event_id.in_(ids), Registration.status == "registered")
        .group_by(Registration.event_id)
    )
    return {event_id: count for event_id, count in rows}


def upcoming_events(
    session: Session, *, program_id: int | None = None, now: datetime | None = None, limit: int = 50
) -> list[Event]:
    """Open events that have not ended, soonest first, with program and speakers loaded."""
    now = now or utcnow()
    stmt = (
        select(Event)
        .options(joinedload(Event.program), selectinload(Event.speakers).joinedload(SpeakerOffer.user))
        .where(Event.status == "open", Event.ends_at > now)
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if program_id is not None:
        stmt = stmt.where(Event.program_id == program_id)
    return list(session.scalars(stmt))


def _event_times(starts_local: datetime, ends_local: datetime) -> tuple[datetime, datetime]:
    try:
        starts_at = toronto_to_utc(starts_local)
    except NonexistentLocalTime as error:
        raise ValidationError("starts_at", str(error)) from None
    try:
        ends_at = toronto_to_utc(ends_local)
    except NonexistentLocalTime as error:
        raise ValidationError("ends_at", str(error)) from None
    if ends_at <= starts_at:
        raise ValidationError("ends_at", gettext("The event must end after it starts."))
    return starts_at, ends_at


def _event_values(
    session: Session,
    *,
    program_id: int,
    title: str,
    description: str,
    starts_local: datetime,
    ends_local: datetime,
    capacity: int,
    status: str,
    join_url: str | None,
) -> dict:
    if session.get(Program, program_id) is None:
        raise ValidationError("program_id", gettext("Choose one of the programs."))
    if capacity is None or capacity < 1:
        raise ValidationError("capacity", gettext("Capacity must be at least 1."))
    if status not in ("draft", "open", "cancelled"):
        raise ValidationError("status", gettext("Choose draft, open or cancelled."))
    starts_at, ends_at = _event_times(starts_local, ends_local)
    return dict(
        program_id=program_id,
        title=title.strip(),
        description=(description or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        status=status,
        join_url=(join_url or "").strip() or None,
    )


def create_event(session: Session, *, created_by_id: int | None = None, **values) -> Event:
    """Create an event from Toronto wall-clock times (see `_event_values` for the fields)."""
    event = Event(created_by_id=created_by_id, **_event_values(session, **values))
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, event_id: int, **values) -> Event:
    """Change an event. More capacity moves the waitlist up; cancelling tells everyone registered."""
    event = lock_event(session, event_id)
    if event is None:
        raise ValidationError(None, gettext("That event no longer exists."))
    was = event.status
    for key, value in _event_values(session, **values).items():
        setattr(event, key, value)
    session.flush()
    if event.status == "cancelled" and was != "cancelled":
        for registration in _active_registrations(session, event.id):
            _mail(session, registration, "cancelled", N_("Cancelled: %(title)s"))
    elif event.status == "open":
        fill_from_waitlist(session, event)
    return event


def lock_event(session: Session, event_id: int) -> Event | None:
    """Take the event's write lock for the rest of the transaction and return it, freshly loaded.

    An UPDATE is the one lock both databases take the same way: PostgreSQL locks the row until commit;
    SQLite's first write takes the database write lock, so a later reader cannot act on a stale count.
    """
    result = session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(lock_version=Event.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        return None
    return session.scalar(select(Event).where(Event.id == event_id).execution_options(populate_existing=True))


def _active_registrations(session: Session, event_id: int) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .options(joinedload(Registration.user))
            .where(Registration.event_id == event_id, Registration.status.in_(("registered", "waitlisted")))
            .execution_options(populate_existing=True)
        )
    )


# --- registration --------------------------------------------------------------------------------


def _mail(session: Session, registration: Registration, template: str, subject: str) -> None:
    event = registration.event
    user = registration.user
    with in_language(recipient_language(user)):
        text = render_template(
            f"programs/email/{template}.txt",
            user=user,
            event=event,
            registration=registration,
            when=format_toronto(event.starts_at),
            event_link=_link("programs.event", event_id=event.id),
            calendar_link=_link("programs.event_calendar", event_id=event.id),
        )
        subject = gettext(subject, title=event.title)
    queue_message(session, kind=f"program_{template}", to=user.email, subject=subject, text=text, user_id=user.id)


def register(session: Session, event_id: int, user_id: int, now: datetime | None = None) -> Registration:
    """Register a member (or put them on the waitlist when the event is full) and mail them."""
    now = now or utcnow()
    event = lock_event(session, event_id)
    if event is None or event.status == "draft":
        raise ValidationError(None, gettext("That event is not open for registration."))
    if event.status == "cancelled":
        raise ValidationError(None, gettext("That event has been cancelled."))
    if event.ends_at <= now:
        raise ValidationError(None, gettext("That event has already taken place."))
    registration = session.scalar(
        select(Registration)
        .where(Registration.event_id == event_id, Registration.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    if registration is not None and registration.status == "registered":
        raise ValidationError(None, gettext("You are already registered for this event."))
    if registration is not None and registration.status == "waitlisted":
        raise ValidationError(None, gettext("You are already on the waitlist for this event."))
    taken = registered_counts(session, [event_id]).get(event_id, 0)
    status = "registered" if taken < event.capacity else "waitlisted"
    if registration is None:
        registration = Registration(event_id=event_id, user_id=user_id, status=status, queued_at=now)
        session.add(registration)
    else:
        registration.status, registration.queued_at = status, now
        registration.cancelled_at = registration.reminder_queued_at = None
    session.flush()
    session.refresh(registration)
    if status == "registered":
        _mail(session, registration, "registered", N_("You are registered: %(title)s"))
    else:
        _mail(session, registration, "waitlisted", N_("You are on the waitlist: %(title)s"))
    return registration


def cancel_registration(
    session: Session, event_id: int, user_id: int, now: datetime | None = None
) -> list[Registration]:
    """Cancel a member's place or waitlist spot; a freed place goes to the waitlist at once. Returns who moved up."""
    now = now or utcnow()
    event = lock_event(session, event_id)
    registration = (
        session.scalar(
            select(Registration)
            .where(Registration.event_id == event_id, Registration.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        if event
        else None
    )
    if registration is None or registration.status == "cancelled":
        raise ValidationError(None, gettext("You are not registered for this event."))
    if event.ends_at <= now:
        raise ValidationError(None, gettext("That event has already taken place."))
    registration.status, registration.cancelled_at = "cancelled", now
    session.flush()
    return fill_from_waitlist(session, event, now) if event.status == "open" else []


def fill_from_waitlist(session: Session, event: Event, now: datetime | None = None) -> list[Registration]:
    """Give free places to the waitlist in order. Call only with the event locked (see `lock_event`)."""
    now = now or utcnow()
    free = event.capacity - registered_counts(session, [event.id]).get(event.id, 0)
    if free <= 0 or event.ends_at <= now:
        return []
    waiting = list(
        session.scalars(
            select(Registration)
            .options(joinedload(Registration.user))
            .where(Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.queued_at, Registration.id)
            .limit(free)
            .execution_options(populate_existing=True)
        )
    )
    for registration in waiting:
        registration.status, registration.queued_at = "registered", now
        session.flush()
        _mail(session, registration, "promoted", N_("A place opened up: %(title)s"))
    return waiting


def calendar_file(event: Event, *, page_url: str, include_join_link: bool, now: datetime | None = None) -> str:
    """The event as an RFC 5545 file; the joining link goes in only for people with a place."""
    description = "\n\n".join(part for part in (event.description, f"Details: {page_url}") if part)
    return ics_event(
        uid=f"event-{event.id}@itpo-crm",
        title=f"{event.title} ({event.program.name})",
        description=description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        url=page_url,
        location=event.join_url if include_join_link else "Online (link sent to registered members)",
        now=now or utcnow(),
        cancelled=event.status == "cancelled",
        sequence=1 if event.status == "cancelled" else 0,
    )


def registration_for(session: Session, event_id: int, user_id: int) -> Registration | None:
    return session.scalar(
        select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id)
    )


def waitlist_position(session: Session, registration: Registration) -> int | None:
    """1 for the first person waiting, and so on."""
    if registration.status != "waitlisted":
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id)),
        )
    )
    return (ahead or 0) + 1


def send_due_reminders(session: Session, now: datetime | None = None) -> int:
    """Queue a reminder for each registration whose event starts within a day; never twice for one registration.

    Each registration is claimed by a conditional UPDATE, so two runs at once cannot both queue it.
    """
    now = now or utcnow()
    due = list(
        session.scalars(
            select(Registration.id)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == "registered",
                Registration.reminder_queued_at.is_(None),
                Event.status == "open",
                Event.starts_at > now,
                Event.starts_at <= now + timedelta(days=1),
            )
            .order_by(Registration.id)
        )
    )
    queued = 0
    for registration_id in due:
        claimed = session.execute(
            update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.reminder_queued_at.is_(None),
                Registration.status == "registered",
            )
            .values(reminder_queued_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            registration = session.scalar(
                select(Registration)
                .options(joinedload(Registration.event), joinedload(Registration.user))
                .where(Registration.id == registration_id)
                .execution_options(populate_existing=True)
            )
            _mail(session, registration, "reminder", N_("Tomorrow: %(title)s"))
            queued += 1
    return queued


def member_registrations(session: Session, user_id: int, now: datetime | None = None) -> list[Registration]:
    """A member's current registrations and waitlist spots for events that have not ended."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .options(joinedload(Registration.event).joinedload(Event.program))
            .where(
                Registration.user_id == user_id,
                Registration.status.in_(("registered", "waitlisted")),
                Event.ends_at > now,
                Event.status != "draft",
            )
            .order_by(Event.starts_at)
        )
    )


def attended_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Attendance).where(Attendance.user_id == user_id)) or 0


def event_roster(session: Session, event_id: int) -> list[tuple[Registration, bool]]:
    """Every registration of the event (waitlist and cancelled included), with whether the person attended."""
    attended = set(session.scalars(select(Attendance.user_id).where(Attendance.event_id == event_id)))
    rows = session.scalars(
        select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.event_id == event_id)
        .order_by(Registration.status, Registration.queued_at, Registration.id)
    )
    return [(registration, registration.user_id in attended) for registration in rows]


@scheduled_job("program-reminders", Every(3600), "Remind each registrant of a program event starting within a day")
def reminders_job(session: Session, now: datetime) -> dict:
    return {"reminders": send_due_reminders(session, now)}
