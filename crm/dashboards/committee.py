"""The committee dashboard, from the tables that exist today: MPP stances by party, the asks scoreboard.

Interactions by month and kind, and follow-ups, join here when the interaction log lands.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.proposals.asks import scoreboard
from crm.proposals.models import ASK_STATUSES
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ASKS, POSITIONS, ElectedOffice, Stance

NO_PARTY = "No party"


@dataclass
class StanceTable:
    asks: list[tuple[str, str]]  # (code, label)
    positions: list[tuple[str, str]]
    rows: list[tuple[str, int, dict[tuple[str, str], int]]]  # (party, seats, {(ask, position): count})

    def flat(self) -> list[tuple]:
        """One row per party and ask, for downloads."""
        return [(party, seats, label, *[counts.get((ask, position), 0) for position, _ in self.positions])
                for party, seats, counts in self.rows for ask, label in self.asks]


def stances_by_party(session: Session, jurisdiction_id: int) -> StanceTable:
    """Each sitting member's current stance (newest by date) on each ask, counted by party; no stance is "unknown"."""
    newest = (select(Stance.person_id, Stance.ask, Stance.position,
                     func.row_number().over(partition_by=(Stance.person_id, Stance.ask),
                                            order_by=(Stance.as_of.desc(), Stance.id.desc())).label("n"))
              .where(Stance.person_id.is_not(None)).subquery())
    sitting = (select(ElectedOffice.person_id, ElectedOffice.party)
               .where(ElectedOffice.current.is_(True), ElectedOffice.jurisdiction_id == jurisdiction_id).subquery())
    seats = dict(session.execute(select(sitting.c.party, func.count()).group_by(sitting.c.party)).all())
    counted = session.execute(
        select(sitting.c.party, newest.c.ask, newest.c.position, func.count())
        .join(newest, newest.c.person_id == sitting.c.person_id).where(newest.c.n == 1)
        .group_by(sitting.c.party, newest.c.ask, newest.c.position)).all()
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
    return list(session.execute(
        select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name)
        .where(Jurisdiction.id.in_(select(ElectedOffice.jurisdiction_id).where(ElectedOffice.current.is_(True))))
        .order_by(Jurisdiction.name)))
