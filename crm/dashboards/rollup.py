"""Recount the committee dashboard's daily counts for the days the triggers marked dirty (see models.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, case, cast, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from crm.dashboards.models import EVERY_DAY, ActivityDay, ActivityDirtyDay, StakeholderKindDay
from crm.interactions.models import Interaction, Participant
from crm.stakeholders.models import Organization, Person

CAMPAIGN_HASHTAGS = ("#mppchats", "#skillstohelp")
# Beyond this many dirty days, one recount of everything is cheaper than many small ones.
MANY_DAYS = 400
_LOCK = 7_241_016  # PostgreSQL advisory lock: one refresh at a time


def _day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, Date)
    return func.date(column, type_=Date)


def refresh_activity(session: Session) -> int:
    """Recount the dirty days (or everything, when marked so) and clear the marks; flushes, never commits.
    Returns how many days were recounted (-1: everything). Cheap when nothing is dirty: one indexed read."""
    if session.scalar(select(ActivityDirtyDay.day).limit(1)) is None:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        # Two requests refreshing at once would both count the same days; the second waits, then finds
        # the marks gone (SQLite writes one transaction at a time anyway).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    days = list(session.scalars(select(ActivityDirtyDay.day)))
    if not days:
        return 0
    everything = EVERY_DAY in days or len(days) > MANY_DAYS
    _recount(session, None if everything else days)
    session.execute(delete(ActivityDirtyDay).where(ActivityDirtyDay.day.in_(days)))
    session.flush()
    return -1 if everything else len(days)


def _recount(session: Session, days: list[date] | None) -> None:
    day = _day(session, Interaction.occurred_at)
    padded = literal(" ") + func.coalesce(Interaction.hashtags, "") + literal(" ")
    tagged = [func.sum(case((padded.like(f"% {tag} %"), 1), else_=0)) for tag in CAMPAIGN_HASHTAGS]
    interactions = (
        select(day, Interaction.kind, Interaction.jurisdiction_id, func.count(), *tagged)
        .where(Interaction.archived.is_(False))
        .group_by(day, Interaction.kind, Interaction.jurisdiction_id)
    )
    organization_id = func.coalesce(Participant.organization_id, Person.organization_id)
    # Through the interaction (date index, archived flag), not the participant's own copy of the date.
    kinds = (
        select(day, Organization.kind, func.count(func.distinct(Participant.interaction_id)))
        .select_from(Participant)
        .join(Interaction, Interaction.id == Participant.interaction_id)
        .outerjoin(Person, Person.id == Participant.person_id)
        .outerjoin(Organization, Organization.id == organization_id)
        .where(Participant.side == "stakeholder", Interaction.archived.is_(False))
        .group_by(day, Organization.kind)
    )
    if days is None:
        session.execute(delete(ActivityDay))
        session.execute(delete(StakeholderKindDay))
    else:
        session.execute(delete(ActivityDay).where(ActivityDay.day.in_(days)))
        session.execute(delete(StakeholderKindDay).where(StakeholderKindDay.day.in_(days)))
        # The date range lets the occurred_at indexes narrow the read; the day list picks the days in it.
        low, high = min(days), max(days)
        within = (*_within(Interaction.occurred_at, low, high), day.in_(days))
        interactions, kinds = interactions.where(*within), kinds.where(*within)
    session.execute(
        insert(ActivityDay).from_select(
            ["day", "kind", "jurisdiction_id", "interactions", "mppchats", "skillstohelp"], interactions
        )
    )
    session.execute(insert(StakeholderKindDay).from_select(["day", "organization_kind", "interactions"], kinds))


def _within(column, low: date, high: date) -> tuple:
    return column >= datetime.combine(low, time.min), column < datetime.combine(high + timedelta(days=1), time.min)
