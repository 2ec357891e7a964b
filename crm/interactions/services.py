"""Logging interactions, their participants and follow-ups; member #mppchats reports; digests.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import render_template
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from crm.auth.models import STAFF_ROLES, User
from crm.interactions.models import (
    FOLLOW_UP_STATUSES,
    KINDS,
    MEETING_FORMATS,
    PARTICIPANT_ROLES,
    FollowUp,
    Interaction,
    InteractionHashtag,
    Participant,
    not_archived,
)
from crm.lib.errors import ValidationError
from crm.lib.i18n import in_language, recipient_language
from crm.lib.schedule import TORONTO, DailyAt, scheduled_job
from crm.proposals.services import presentable_version
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import Organization, Person
from crm.stakeholders.parties import PARTY_KINDS, parse_party_ref, party_labels, party_named

# Something that "happened" may be logged up to a day ahead (time zones, late-evening meetings).
FUTURE_SLACK = timedelta(days=1)
HASHTAG_RE = re.compile(r"^#[a-z0-9_]{1,59}$")
MAX_HASHTAGS = 10
# Member-reported #mppchats formats become these interaction kinds.
FORMAT_KIND = {"in_person": "meeting", "virtual": "meeting", "phone": "call", "social": "social_post"}


@dataclass
class ParticipantInput:
    """One participant as a form gives it: a party reference like 'person:12' (chosen in the picker) and/or the
    name typed in the box (resolved to the one party of that name when no reference matches it), and a role."""

    ref: str
    role: str = "attendee"
    name: str = ""


@dataclass
class FollowUpInput:
    title: str
    due_date: date
    assignee_id: int | None = None


@dataclass
class InteractionInput:
    """Everything a committee member types when logging an interaction."""

    kind: str
    occurred_at: datetime
    title: str
    summary: str | None = None
    outcome: str | None = None
    hashtags: str | None = None
    jurisdiction_id: int | None = None
    proposal_version_id: int | None = None
    participants: list[ParticipantInput] = field(default_factory=list)
    follow_ups: list[FollowUpInput] = field(default_factory=list)
    meeting_format: str | None = None
    platform: str | None = None
    url: str | None = None
    reach: int | None = None
    posted_by: str | None = None


def parse_hashtags(text: str | None) -> list[str]:
    """'#MPPchats, skillstohelp' → ['#mppchats', '#skillstohelp']; raises ValidationError on odd tags."""
    tags: list[str] = []
    for raw in re.split(r"[\s,;]+", (text or "").strip()):
        if not raw:
            continue
        tag = "#" + raw.lstrip("#").lower()
        if not HASHTAG_RE.match(tag):
            raise ValidationError(
                "hashtags",
                gettext("'%(raw)s' is not a hashtag: use letters, digits and _ only, like #mppchats.", raw=raw[:30]),
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_HASHTAGS:
        raise ValidationError("hashtags", gettext("Use at most %(max)s hashtags.", max=MAX_HASHTAGS))
    return tags


def _resolve_participants(session: Session, rows: list[ParticipantInput]) -> list[Participant]:
    """Participants for the given rows; unknown or archived parties and unknown roles are refused."""
    wanted = _wanted_parties(session, rows)
    found = _live_parties(session, {kind: [i for (k, i) in wanted if k == kind] for kind in PARTY_KINDS})
    participants = []
    for (kind, party_id), role in wanted.items():
        party = found[kind].get(party_id)
        if party is None:
            raise ValidationError(
                "participants",
                gettext("One of the participants no longer exists or is archived; choose again from the list."),
            )
        side = "itpo" if kind == "user" else "stakeholder"
        participants.append(Participant(side=side, role=role, **{kind: party}))
    return participants


def _wanted_parties(session: Session, rows: list[ParticipantInput]) -> dict[tuple[str, int], str]:
    """(kind, id) → role for each row that names a party: chosen from the list, or typed by its name."""
    roles = dict(PARTICIPANT_ROLES)
    wanted: dict[tuple[str, int], str] = {}
    labels = party_labels(session, [row.ref for row in rows if row.ref and row.name.strip()])
    for row in rows:
        name = " ".join(row.name.split())
        ref = row.ref if not name or labels.get(row.ref) == name else party_named(session, name)
        if not ref:
            continue
        try:
            key = parse_party_ref(ref)
        except ValueError:
            raise ValidationError("participants", gettext("Choose each participant from the list.")) from None
        if row.role not in roles:
            raise ValidationError("participants", gettext("Choose a role for each participant from the list."))
        wanted.setdefault(key, row.role)
    return wanted


def _live_parties(session: Session, ids: dict[str, list[int]]) -> dict[str, dict[int, object]]:
    """The active people, organizations and users among `ids`, by kind and id."""
    queries = {
        "person": lambda: select(Person).where(Person.id.in_(ids["person"]), Person.archived.is_(False)),
        "organization": lambda: select(Organization).where(
            Organization.id.in_(ids["organization"]), Organization.archived.is_(False)
        ),
        "user": lambda: select(User).where(User.id.in_(ids["user"]), User.active.is_(True)),
    }
    return {
        kind: {party.id: party for party in session.scalars(query())} if ids[kind] else {}
        for kind, query in queries.items()
    }


def _check_when(occurred_at: datetime, now: datetime | None = None) -> None:
    now = now or datetime.now()
    if occurred_at > now + FUTURE_SLACK:
        raise ValidationError(
            "occurred_at",
            gettext("That date is in the future. Log what has happened; add a follow-up for what is planned."),
        )
    if occurred_at.year < 1990:
        raise ValidationError("occurred_at", gettext("Enter a date after 1990."))


def _check_follow_up_date(interaction_date: date, due_date: date, field_name: str = "follow_ups") -> None:
    if due_date < interaction_date:
        raise ValidationError(
            field_name,
            gettext(
                "A follow-up cannot be due before the interaction it follows (%(date)s).",
                date=interaction_date.isoformat(),
            ),
        )


def _check_assignee(session: Session, assignee_id: int | None, field_name: str = "follow_ups") -> None:
    if assignee_id is None:
        return
    user = session.get(User, assignee_id)
    if user is None or not user.active or user.role not in STAFF_ROLES:
        raise ValidationError(field_name, gettext("Assign follow-ups to an active committee member."))


def _apply(session: Session, interaction: Interaction, data: InteractionInput, now: datetime | None) -> None:
    if data.kind not in dict(KINDS):
        raise ValidationError("kind", gettext("Choose a kind from the list."))
    _check_when(data.occurred_at, now)
    if data.jurisdiction_id is not None and session.get(Jurisdiction, data.jurisdiction_id) is None:
        raise ValidationError("jurisdiction_id", gettext("Choose a jurisdiction from the list."))
    if data.meeting_format is not None and data.meeting_format not in dict(MEETING_FORMATS):
        raise ValidationError("meeting_format", gettext("Choose a format from the list."))
    if data.proposal_version_id is not None:
        presentable_version(session, data.proposal_version_id, data.jurisdiction_id)
    tags = parse_hashtags(data.hashtags)
    participants = _resolve_participants(session, data.participants)
    if data.kind != "social_post" and not any(p.side == "stakeholder" for p in participants):
        raise ValidationError(
            "participants", gettext("Add at least one stakeholder (a person or an organization) who took part.")
        )
    for column in (
        "kind",
        "occurred_at",
        "title",
        "summary",
        "outcome",
        "jurisdiction_id",
        "proposal_version_id",
        "meeting_format",
        "platform",
        "url",
        "reach",
        "posted_by",
    ):
        setattr(interaction, column, getattr(data, column))
    interaction.hashtags = " ".join(tags) or None
    _replace_participants(interaction, participants)
    interaction.tags = [existing for existing in interaction.tags if existing.tag in tags] + [
        InteractionHashtag(tag=tag) for tag in tags if tag not in {t.tag for t in interaction.tags}
    ]


def _replace_participants(interaction: Interaction, participants: list[Participant]) -> None:
    """Keep rows that did not change (so the audit log shows only real changes)."""

    def key(p):
        return (
            p.person_id or (p.person.id if p.person else None),
            p.organization_id or (p.organization.id if p.organization else None),
            p.user_id or (p.user.id if p.user else None),
            p.role,
        )

    current = {key(p): p for p in interaction.participants}
    interaction.participants = [current.get(key(p), p) for p in participants]
    for participant in interaction.participants:
        participant.occurred_at = interaction.occurred_at


def log_interaction(
    session: Session, author: User | None, data: InteractionInput, now: datetime | None = None
) -> Interaction:
    """Record an interaction with its participants, hashtags and any follow-ups."""
    interaction = Interaction(author=author, member_report=False)
    _apply(session, interaction, data, now)
    for item in data.follow_ups:
        _check_follow_up_date(data.occurred_at.date(), item.due_date)
        _check_assignee(session, item.assignee_id)
        interaction.follow_ups.append(
            FollowUp(title=item.title, due_date=item.due_date, assignee_id=item.assignee_id, status="open")
        )
    session.add(interaction)
    session.flush()
    return interaction


def update_interaction(
    session: Session, interaction: Interaction, data: InteractionInput, now: datetime | None = None
) -> Interaction:
    """Change an interaction; follow-ups are managed on their own."""
    _apply(session, interaction, data, now)
    for follow_up in interaction.follow_ups:
        _check_follow_up_date(data.occurred_at.date(), follow_up.due_date, "occurred_at")
    session.flush()
    return interaction


def load_interaction(session: Session, interaction_id: int) -> Interaction | None:
    """One interaction with everything its page shows, in a fixed number of queries."""
    return session.scalar(
        select(Interaction)
        .where(Interaction.id == interaction_id)
        .options(*interaction_loader_options(), selectinload(Interaction.follow_ups).joinedload(FollowUp.assignee))
    )


def interaction_loader_options():
    """Eager loads for listing interactions with their participants (no N+1)."""
    return (
        joinedload(Interaction.jurisdiction),
        selectinload(Interaction.participants).options(
            joinedload(Participant.person), joinedload(Participant.organization), joinedload(Participant.user)
        ),
    )


# --- follow-ups ----------------------------------------------------------------------------------


def add_follow_up(session: Session, interaction: Interaction, item: FollowUpInput) -> FollowUp:
    """A follow-up added after the interaction was logged."""
    _check_follow_up_date(interaction.occurred_at.date(), item.due_date, "due_date")
    _check_assignee(session, item.assignee_id, "assignee_id")
    follow_up = FollowUp(
        interaction=interaction, title=item.title, due_date=item.due_date, assignee_id=item.assignee_id, status="open"
    )
    session.add(follow_up)
    session.flush()
    return follow_up


def set_follow_up_status(session: Session, follow_up: FollowUp, status: str, now: datetime | None = None) -> None:
    if status not in dict(FOLLOW_UP_STATUSES):
        raise ValidationError("status", gettext("Choose a status from the list."))
    follow_up.status = status
    follow_up.completed_at = (now or datetime.now()).replace(microsecond=0) if status == "done" else None
    session.flush()


def open_follow_ups_for(user_id: int, until: date | None = None):
    """Open follow-ups assigned to a user, overdue first (earliest due date first)."""
    stmt = (
        select(FollowUp)
        .where(FollowUp.assignee_id == user_id, FollowUp.status == "open", not_archived(FollowUp.interaction_id))
        .options(joinedload(FollowUp.interaction))
        .order_by(FollowUp.due_date, FollowUp.id)
    )
    if until is not None:
        stmt = stmt.where(FollowUp.due_date <= until)
    return stmt


def queue_follow_up_digests(session: Session, today: date, days_ahead: int = 0) -> int:
    """Mail each active staff member their open follow-ups due by `today + days_ahead`; returns mails queued."""
    from crm.outbox.services import queue_message

    until = today + timedelta(days=days_ahead)
    rows = session.scalars(
        select(FollowUp)
        .join(User, User.id == FollowUp.assignee_id)
        .where(
            FollowUp.status == "open",
            FollowUp.due_date <= until,
            User.active.is_(True),
            User.role.in_(STAFF_ROLES),
            not_archived(FollowUp.interaction_id),
        )
        .options(joinedload(FollowUp.interaction), joinedload(FollowUp.assignee))
        .order_by(FollowUp.assignee_id, FollowUp.due_date, FollowUp.id)
    ).all()
    by_user: dict[int, list[FollowUp]] = {}
    for row in rows:
        by_user.setdefault(row.assignee_id, []).append(row)
    for follow_ups in by_user.values():
        user = follow_ups[0].assignee
        overdue = [f for f in follow_ups if f.due_date < today]
        due = [f for f in follow_ups if f.due_date >= today]
        with in_language(recipient_language(user)):
            text = render_template("email/follow_up_digest.txt", user=user, overdue=overdue, due=due, today=today)
            subject = gettext(
                "Your ITPO follow-ups: %(overdue)s overdue, %(due)s due", overdue=len(overdue), due=len(due)
            )
        queue_message(session, kind="follow_up_digest", to=user.email, user_id=user.id, text=text, subject=subject)
    return len(by_user)


@scheduled_job(
    "follow-up-digests",
    DailyAt(hour=7, hour_setting="FOLLOW_UP_DIGEST_HOUR"),
    "Mail each committee member their due and overdue follow-ups",
)
def follow_up_digests_job(session: Session, now: datetime) -> dict:
    """The scheduled job: today is Toronto's day at the set hour."""
    from datetime import UTC

    today = now.replace(tzinfo=UTC).astimezone(TORONTO).date()
    return {"digests": queue_follow_up_digests(session, today)}


def can_read(user: User, interaction: Interaction) -> bool:
    """Staff read everything; a member reads only the reports they made themselves."""
    if user.role in STAFF_ROLES:
        return True
    return interaction.member_report and interaction.author_id == user.id


def staff_users():
    return select(User).where(User.active.is_(True), User.role.in_(STAFF_ROLES)).order_by(User.name)
