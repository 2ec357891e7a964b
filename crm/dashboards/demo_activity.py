"""Synthetic committee work for the demo: interactions with participants, hashtags and follow-ups, MPP stances,
and program webinars with registrations and attendance. Bulk Core inserts in chunks, as in `demo`.

Called by `crm.dashboards.demo.load_demo` after the members exist; nothing here sends mail (every event has
ended and its reminders are marked as queued).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.interactions.models import KINDS, FollowUp, Interaction, InteractionHashtag, Participant
from crm.programs.models import Attendance, Event, Program, Registration
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ASKS, ElectedOffice, Organization, Person, Stance


@dataclass(frozen=True)
class ActivityScale:
    interactions: int
    events_per_program: int
    registrations_per_event: tuple[int, int]


ACTIVITY = {
    "small": ActivityScale(interactions=2_000, events_per_program=4, registrations_per_event=(15, 60)),
    "large": ActivityScale(interactions=200_000, events_per_program=25, registrations_per_event=(100, 600)),
}
STAFF = ("Amira Haddad", "Daniel Okafor", "Priya Raman", "Tomás Rivera", "Mei Chen", "Olena Kovalenko")
KIND_WEIGHTS = {"meeting": 25, "call": 20, "email": 30, "letter": 8, "event": 7, "social_post": 10}
TOPICS = (
    "PRA spots",
    "residency positions",
    "a clinical assistant role",
    "recency of practice",
    "CaRMS data",
    "the Ontario proposal",
    "licensure pathways",
)
CHUNK = 10_000


def load_activity(
    session: Session,
    scale: str,
    rng: random.Random,
    today: date,
    member_ids: list[int],
    email_domain: str,
    password_hash: str,
) -> dict[str, int]:
    """Add the committee's work and the programs' webinars; flushes, never commits. Returns counts added."""
    spec = ACTIVITY[scale]
    staff = _add_staff(session, email_domain, password_hash)
    interactions, follow_ups = _add_interactions(session, spec, rng, today, staff)
    stances = _add_stances(session, rng, today)
    registrations = _add_program_events(session, spec, rng, today, member_ids)
    return {"interactions": interactions, "follow_ups": follow_ups, "stances": stances, "registrations": registrations}


def _add_staff(session: Session, email_domain: str, password_hash: str) -> list[int]:
    rows = [
        {
            "email": f"committee{i + 1}@{email_domain}",
            "name": name,
            "password_hash": password_hash,
            "role": "committee",
            "active": True,
            "email_confirmed_at": datetime.utcnow(),
        }
        for i, name in enumerate(STAFF)
    ]
    return list(session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))


def _add_interactions(
    session: Session, spec: ActivityScale, rng: random.Random, today: date, staff: list[int]
) -> tuple[int, int]:
    """Two years of meetings, calls, emails...: most with Ontario MPPs and regulators, some elsewhere."""
    pools = _Stakeholders.read(session)
    start = datetime.combine(today - timedelta(days=730), time(8))
    follow_ups = 0
    for first in range(0, spec.interactions, CHUNK):
        size = min(CHUNK, spec.interactions - first)
        stamps, tags, rows = _interaction_rows(rng, pools, staff, start, size)
        ids = list(session.scalars(insert(Interaction).returning(Interaction.id, sort_by_parameter_order=True), rows))
        participants, hashtags, tasks = [], [], []
        for interaction_id, stamp, t in zip(ids, stamps, tags, strict=False):
            participants += _participants(rng, pools, staff, interaction_id, stamp)
            hashtags.extend({"interaction_id": interaction_id, "tag": tag} for tag in t)
            task = _follow_up(rng, staff, today, interaction_id, stamp)
            if task:
                tasks.append(task)
        session.execute(insert(Participant), participants)
        if hashtags:
            session.execute(insert(InteractionHashtag), hashtags)
        if tasks:
            session.execute(insert(FollowUp), tasks)
        follow_ups += len(tasks)
    return spec.interactions, follow_ups


@dataclass
class _Stakeholders:
    """Whom the demo's interactions are with: sitting MPPs, other people, organizations, jurisdictions."""

    mpps: list[int]
    people: list[int]
    organizations: list[int]
    ontario: int | None
    others: list[int]

    @classmethod
    def read(cls, session: Session) -> _Stakeholders:
        mpps = list(session.scalars(select(ElectedOffice.person_id).where(ElectedOffice.current.is_(True))))
        people = list(session.scalars(select(Person.id).where(Person.id.not_in(mpps)))) or mpps
        organizations = list(session.scalars(select(Organization.id)))
        jurisdictions = dict(session.execute(select(Jurisdiction.code, Jurisdiction.id)).all())
        others = [jid for code, jid in jurisdictions.items() if code != "ON"]
        return cls(mpps, people, organizations, jurisdictions.get("ON"), others)


def _interaction_rows(
    rng: random.Random, pools: _Stakeholders, staff: list[int], start: datetime, size: int
) -> tuple[list[datetime], list[list[str]], list[dict]]:
    """A chunk of interactions at random times in the two years: their times, hashtags and rows."""
    kinds, weights = zip(*((code, KIND_WEIGHTS.get(code, 5)) for code, _ in KINDS), strict=False)
    stamps = sorted(start + timedelta(minutes=rng.randrange(730 * 24 * 60)) for _ in range(size))
    chosen = rng.choices(kinds, weights=weights, k=size)
    tags = [
        [tag for tag, one_in in (("#mppchats", 3), ("#skillstohelp", 5), ("#pra", 8)) if rng.randrange(one_in) == 0]
        for _ in range(size)
    ]
    rows = [
        {
            "kind": kind,
            "occurred_at": stamp,
            "title": f"{dict(KINDS)[kind]} about {rng.choice(TOPICS)}",
            "summary": "Discussed ITPO's asks and what the office can do next.",
            "hashtags": " ".join(t) or None,
            "jurisdiction_id": pools.ontario if rng.random() < 0.8 or not pools.others else rng.choice(pools.others),
            "author_id": rng.choice(staff),
            "member_report": False,
            "created_at": stamp,
        }
        for kind, stamp, t in zip(chosen, stamps, tags, strict=False)
    ]
    return stamps, tags, rows


def _participants(
    rng: random.Random, pools: _Stakeholders, staff: list[int], interaction_id: int, stamp: datetime
) -> list[dict]:
    """An interaction's stakeholder (an MPP, another person or an organization) and, half the time, staff."""
    party = rng.random()
    stakeholder = (
        {"person_id": rng.choice(pools.mpps)}
        if party < 0.5 and pools.mpps
        else {"person_id": rng.choice(pools.people)}
        if party < 0.75 and pools.people
        else {"organization_id": rng.choice(pools.organizations)}
    )
    nobody = {"person_id": None, "organization_id": None, "user_id": None}
    rows = [
        {"interaction_id": interaction_id, "side": "stakeholder", "role": "target", "occurred_at": stamp}
        | nobody
        | stakeholder
    ]
    if rng.random() < 0.5:
        rows.append(
            {"interaction_id": interaction_id, "side": "itpo", "role": "organiser", "occurred_at": stamp}
            | nobody
            | {"user_id": rng.choice(staff)}
        )
    return rows


def _follow_up(rng: random.Random, staff: list[int], today: date, interaction_id: int, stamp: datetime) -> dict | None:
    """One interaction in ten has a follow-up task; most of those long due are done."""
    if rng.random() >= 0.1:
        return None
    due = stamp.date() + timedelta(days=rng.randint(3, 30))
    done = due < today - timedelta(days=14) and rng.random() < 0.9
    return {
        "interaction_id": interaction_id,
        "title": "Send the follow-up note and figures",
        "due_date": due,
        "assignee_id": rng.choice(staff),
        "created_at": stamp,
        "status": "done" if done else "open",
        "completed_at": datetime.combine(due, time(12)) if done else None,
    }


def _add_stances(session: Session, rng: random.Random, today: date) -> int:
    """A current stance on some of the asks for most sitting members."""
    people = list(session.scalars(select(ElectedOffice.person_id).where(ElectedOffice.current.is_(True))))
    positions = (("supportive", 35), ("neutral", 25), ("opposed", 10))
    rows = [
        {
            "person_id": person_id,
            "organization_id": None,
            "ask": ask,
            "position": rng.choices([p for p, _ in positions], weights=[w for _, w in positions])[0],
            "as_of": today - timedelta(days=rng.randrange(400)),
            "source": "Demo data",
        }
        for person_id in people
        for ask, _ in ASKS
        if rng.random() < 0.6
    ]
    if rows:
        session.execute(insert(Stance), rows)
    return len(rows)


def _add_program_events(
    session: Session, spec: ActivityScale, rng: random.Random, today: date, member_ids: list[int]
) -> int:
    """Past webinars of each program, with registrations and (for about two thirds) attendance."""
    programs = list(session.execute(select(Program.id, Program.name).order_by(Program.position)))
    added = 0
    for program_id, name in programs:
        for n in range(spec.events_per_program):
            starts = datetime.combine(today - timedelta(days=rng.randint(7, 360)), time(23))  # 6 or 7 pm Toronto
            event_id = session.scalar(
                insert(Event).returning(Event.id),
                {
                    "program_id": program_id,
                    "title": f"{name}: session {n + 1}",
                    "description": "Demo webinar.",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=1, minutes=30),
                    "capacity": spec.registrations_per_event[1],
                    "status": "open",
                    "lock_version": 0,
                },
            )
            who = rng.sample(member_ids, min(len(member_ids), rng.randint(*spec.registrations_per_event)))
            queued = starts - timedelta(days=5)
            session.execute(
                insert(Registration),
                [
                    {
                        "event_id": event_id,
                        "user_id": user_id,
                        "status": "registered",
                        "queued_at": queued,
                        "reminder_queued_at": queued,
                        "created_at": queued,
                    }
                    for user_id in who
                ],
            )
            came = [user_id for user_id in who if rng.random() < 0.65]
            if came:
                session.execute(
                    insert(Attendance),
                    [{"event_id": event_id, "user_id": user_id, "source": "import"} for user_id in came],
                )
            added += len(who)
    return added
