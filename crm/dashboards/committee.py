"""The committee dashboard: its year of work (interactions by month and kind, hashtags, follow-ups),
MPP stances by party, and the asks scoreboard. Aggregated in SQL; a page runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm.dashboards.models import ActivityDay, StakeholderKindDay
from crm.dashboards.rollup import CAMPAIGN_HASHTAGS, refresh_activity
from crm.lib.i18n import N_
from crm.proposals.asks import scoreboard
from crm.proposals.models import ASK_STATUSES
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ASKS, ORGANIZATION_KINDS, POSITIONS, ElectedOffice, Stance

NO_PARTY = N_("No party")


@dataclass
class StanceTable:
    asks: list[tuple[str, str]]  # (code, label)
    positions: list[tuple[str, str]]
    rows: list[tuple[str, int, dict[tuple[str, str], int]]]  # (party, seats, {(ask, position): count})

    def flat(self) -> list[tuple]:
        """One row per party and ask, for downloads."""
        return [
            (party, seats, label, *[counts.get((ask, position), 0) for position, _ in self.positions])
            for party, seats, counts in self.rows
            for ask, label in self.asks
        ]


def stances_by_party(session: Session, jurisdiction_id: int) -> StanceTable:
    """Each sitting member's current stance (newest by date) on each ask, counted by party; no stance is "unknown"."""
    newest = (
        select(
            Stance.person_id,
            Stance.ask,
            Stance.position,
            func.row_number()
            .over(partition_by=(Stance.person_id, Stance.ask), order_by=(Stance.as_of.desc(), Stance.id.desc()))
            .label("n"),
        )
        .where(Stance.person_id.is_not(None))
        .subquery()
    )
    sitting = (
        select(ElectedOffice.person_id, ElectedOffice.party)
        .where(ElectedOffice.current.is_(True), ElectedOffice.jurisdiction_id == jurisdiction_id)
        .subquery()
    )
    seats = dict(session.execute(select(sitting.c.party, func.count()).group_by(sitting.c.party)).all())
    counted = session.execute(
        select(sitting.c.party, newest.c.ask, newest.c.position, func.count())
        .join(newest, newest.c.person_id == sitting.c.person_id)
        .where(newest.c.n == 1)
        .group_by(sitting.c.party, newest.c.ask, newest.c.position)
    ).all()
    by_party: dict[str | None, dict[tuple[str, str], int]] = {party: {} for party in seats}
    for party, ask, position, count in counted:
        by_party.setdefault(party, {})[(ask, position)] = count
    rows = []
    for party, counts in by_party.items():
        for ask, _ in ASKS:
            known = sum(n for (a, p), n in counts.items() if a == ask and p != "unknown")
            counts[(ask, "unknown")] = seats.get(party, 0) - known
        rows.append((party or NO_PARTY, seats.get(party, 0), counts))
    rows.sort(key=lambda row: (-row[1], row[0]))
    return StanceTable(asks=list(ASKS), positions=list(POSITIONS), rows=rows)


def scoreboard_summary(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, list[int]]]]:
    """For each ask, how many provinces and territories are at each status (no status counts as "None")."""
    board = scoreboard(session)
    statuses = list(ASK_STATUSES)
    summary = []
    for index, ask in enumerate(board.asks):
        counts = {code: 0 for code, _ in statuses}
        for row in board.rows:
            status = row.statuses[index]
            code = status.status if status is not None and status.status in counts else "none"
            counts[code] += 1
        summary.append((ask.short_title, [counts[code] for code, _ in statuses]))
    return statuses, summary


def jurisdictions_with_seats(session: Session) -> list[tuple[int, str, str]]:
    """(id, code, name) of legislatures with sitting members in the directory."""
    return list(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name)
            .where(Jurisdiction.id.in_(select(ElectedOffice.jurisdiction_id).where(ElectedOffice.current.is_(True))))
            .order_by(Jurisdiction.name)
        )
    )


def _month(session: Session, column):
    """The month of a timestamp, cheaply: PostgreSQL truncates it; SQLite stores ISO text, whose first 7 characters
    are the month. `_month_key` turns either into 'YYYY-MM'."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", column)
    return func.substr(column, 1, 7)


def _month_key(value) -> str:
    return value.strftime("%Y-%m") if isinstance(value, (date, datetime)) else str(value)[:7]


@dataclass
class Activity:
    months: list[str]
    kinds: list[tuple[str, str]]  # (code, label)
    by_month: dict[tuple[str, str], int]  # (month, kind) -> count
    hashtags: list[str]
    hashtag_by_month: dict[tuple[str, str], int]  # (month, tag) -> count
    follow_ups: list[tuple[str, int, int]]  # (assignee, due soon, overdue)
    by_stakeholder_kind: list[tuple[str, int]]  # (kind of organization, interactions with one of its kind)
    by_jurisdiction: list[tuple[str, int]]

    def month_rows(self) -> list[tuple]:
        return [
            (
                month,
                *[self.by_month.get((month, kind), 0) for kind, _ in self.kinds],
                sum(self.by_month.get((month, kind), 0) for kind, _ in self.kinds),
            )
            for month in self.months
        ]

    def hashtag_rows(self) -> list[tuple]:
        return [
            (month, *[self.hashtag_by_month.get((month, tag), 0) for tag in self.hashtags]) for month in self.months
        ]


NOT_RECORDED = N_("Not recorded")


def _by_stakeholder_kind(session: Session, start: date, end: date) -> list[tuple[str, int]]:
    """Interactions by the kind of organization on the other side (a person counts as their organization's kind;
    MPPs are in their legislature). One interaction with a regulator and a ministry counts under both."""
    kinds = dict(ORGANIZATION_KINDS)
    interactions = func.sum(StakeholderKindDay.interactions)
    rows = session.execute(
        select(StakeholderKindDay.organization_kind, interactions)
        .where(StakeholderKindDay.day.between(start, end))
        .group_by(StakeholderKindDay.organization_kind)
        .order_by(interactions.desc(), StakeholderKindDay.organization_kind)
    )
    return [(kinds.get(kind, kind) if kind else NOT_RECORDED, int(count)) for kind, count in rows]


def activity(session: Session, start: date, end: date, today: date) -> Activity:
    """Interactions by month and kind, by stakeholder kind and by jurisdiction; campaign hashtags by month; open
    follow-ups by person. Read from the daily counts (`rollup`), recounted first for any day written since, so
    a year of work is a few thousand daily rows, not every interaction of the year."""
    from crm.interactions.models import KINDS

    refresh_activity(session)
    by_month, tag_month, by_jurisdiction_id = _daily_counts(session, start, end)
    by_jurisdiction = _by_jurisdiction(session, by_jurisdiction_id)
    follow_ups = _open_follow_ups(session, today)
    months = sorted({m for m, _ in by_month} | {m for m, _ in tag_month})
    return Activity(
        months=months,
        kinds=list(KINDS),
        by_month=by_month,
        hashtags=list(CAMPAIGN_HASHTAGS),
        hashtag_by_month=tag_month,
        follow_ups=follow_ups,
        by_stakeholder_kind=_by_stakeholder_kind(session, start, end),
        by_jurisdiction=by_jurisdiction,
    )


def _daily_counts(session: Session, start: date, end: date) -> tuple[dict, dict, dict]:
    """From the daily rows: interactions by (month, kind), campaign hashtags by (month, tag), and by
    jurisdiction id."""
    month = _month(session, ActivityDay.day)
    by_month: dict[tuple[str, str], int] = {}
    tag_month: dict[tuple[str, str], int] = {}
    by_jurisdiction_id: dict[int | None, int] = {}
    for m, kind, jurisdiction_id, n, *tags in session.execute(
        select(
            month,
            ActivityDay.kind,
            ActivityDay.jurisdiction_id,
            func.sum(ActivityDay.interactions),
            func.sum(ActivityDay.mppchats),
            func.sum(ActivityDay.skillstohelp),
        )
        .where(ActivityDay.day.between(start, end))
        .group_by(month, ActivityDay.kind, ActivityDay.jurisdiction_id)
    ):
        m, n = _month_key(m), int(n)
        by_month[(m, kind)] = by_month.get((m, kind), 0) + n
        by_jurisdiction_id[jurisdiction_id] = by_jurisdiction_id.get(jurisdiction_id, 0) + n
        for tag, count in zip(CAMPAIGN_HASHTAGS, tags, strict=False):
            if count:
                tag_month[(m, tag)] = tag_month.get((m, tag), 0) + int(count)
    return by_month, tag_month, by_jurisdiction_id


def _by_jurisdiction(session: Session, by_jurisdiction_id: dict[int | None, int]) -> list[tuple[str, int]]:
    """Interactions per jurisdiction name, the busiest first."""
    names = dict(session.execute(select(Jurisdiction.id, Jurisdiction.name)).all()) if by_jurisdiction_id else {}
    return sorted(
        ((names.get(jid, NOT_RECORDED), n) for jid, n in by_jurisdiction_id.items()),
        key=lambda item: (-item[1], item[0]),
    )


def _open_follow_ups(session: Session, today: date) -> list[tuple[str, int, int]]:
    """Per assignee: open follow-ups due within a week, and those overdue."""
    from crm.auth.models import User
    from crm.interactions.models import FollowUp, not_archived

    soon = today + timedelta(days=7)
    return [
        (name or "Unassigned", int(due or 0), int(overdue or 0))
        for name, due, overdue in session.execute(
            select(
                User.name,
                func.sum(case((FollowUp.due_date.between(today, soon), 1), else_=0)),
                func.sum(case((FollowUp.due_date < today, 1), else_=0)),
            )
            .select_from(FollowUp)
            .outerjoin(User, User.id == FollowUp.assignee_id)
            .where(FollowUp.status == "open", FollowUp.due_date <= soon, not_archived(FollowUp.interaction_id))
            .group_by(User.name)
            .order_by(User.name)
        )
    ]
