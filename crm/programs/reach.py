"""Who the programs reach: the numbers behind the program dashboards, with small counts protected
(`crm.members.small_counts`), so no page built on this can single out a member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal, select, union
from sqlalchemy.orm import Session

from crm.members.models import LICENSURE_STAGES, MemberProfile
from crm.members.small_counts import FEWER, SMALL_COUNT, protect
from crm.programs.models import Attendance, Event, Program, Registration
from crm.reference.models import ElectoralDistrict


def shown(count: int | None) -> int | str:
    """A count as it may be shown: itself from 5 up, else 'fewer than 5'."""
    count = count or 0
    return count if count >= SMALL_COUNT else FEWER


def _protected(rows: list[tuple[str, int]]) -> list[tuple[str, str]] | None:
    """A breakdown as it may be shown; None when all of it is withheld."""
    if not rows:
        return []
    cells = protect(rows)
    return None if cells is None else [(cell.label, cell.text) for cell in cells]


def _per_program(session: Session, stmt) -> dict[int, int]:
    return {program_id: count for program_id, count in session.execute(stmt)}


def program_reach(
    session: Session,
    program_id: int | None = None,
    now: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[dict]:
    """One entry per program (or just `program_id`'s): events held, registrations, attendees, attendance rate
    and members reached by riding and stage. `start`/`end` (inclusive, UTC) keep events starting in those days.
    """
    now = now or datetime.utcnow()
    programs = select(Program).order_by(Program.position)
    if program_id is not None:
        programs = programs.where(Program.id == program_id)
    programs = list(session.scalars(programs))
    ids = [p.id for p in programs]
    live = _live_events(ids, start, end)
    counts = _event_counts(session, live, Event.ends_at <= now)
    reached = _members_reached(session, live, ids)
    return [_entry(program, counts, reached) for program in programs]


def _live_events(ids: list[int], start: date | None, end: date | None):
    """The condition for the programs' published events starting between `start` and `end`."""
    live = (Event.status != "draft") & Event.program_id.in_(ids)
    if start:
        live = live & (Event.starts_at >= datetime.combine(start, time.min))
    if end:
        live = live & (Event.starts_at < datetime.combine(end + timedelta(days=1), time.min))
    return live


def _event_counts(session: Session, live, ended) -> dict[str, dict[int, int]]:
    """Per program: events held, registrations and attendances (all, and at events that have ended)."""

    def registrations(*extra):
        return (
            select(Event.program_id, func.count(Registration.id))
            .join(Event, Event.id == Registration.event_id)
            .where(live, Registration.status == "registered", *extra)
            .group_by(Event.program_id)
        )

    def attendances(*extra):
        return (
            select(Event.program_id, func.count(Attendance.id))
            .join(Event, Event.id == Attendance.event_id)
            .where(live, *extra)
            .group_by(Event.program_id)
        )

    held = select(Event.program_id, func.count(Event.id)).where(live, ended, Event.status == "open")
    came_registered = attendances(ended).join(
        Registration,
        (Registration.event_id == Attendance.event_id)
        & (Registration.user_id == Attendance.user_id)
        & (Registration.status == "registered"),
    )
    return {
        "events_held": _per_program(session, held.group_by(Event.program_id)),
        "registered": _per_program(session, registrations()),
        "registered_ended": _per_program(session, registrations(ended)),
        "attended": _per_program(session, attendances()),
        "attended_ended": _per_program(session, came_registered),
    }


@dataclass
class _Reached:
    """Members reached (registered or attended) per program: in all, by riding name and by licensure stage."""

    members: dict[int, int]
    by_riding: dict[int, list[tuple[str, int]]]
    by_stage: dict[int, dict[str, int]]


def _members_reached(session: Session, live, ids: list[int]) -> _Reached:
    """Count the members each program reached, by riding and by stage, in one pass."""
    reached = union(
        select(Event.program_id.label("program_id"), Registration.user_id.label("user_id"))
        .join(Event, Event.id == Registration.event_id)
        .where(live, Registration.status == "registered"),
        select(Event.program_id.label("program_id"), Attendance.user_id.label("user_id"))
        .join(Event, Event.id == Attendance.event_id)
        .where(live),
    ).subquery()
    riding = func.coalesce(ElectoralDistrict.name, literal("Riding not known"))
    stage = func.coalesce(MemberProfile.licensure_stage, literal(""))
    reached_rows = session.execute(  # one pass gives both breakdowns
        select(reached.c.program_id, riding, stage, func.count())
        .select_from(reached)
        .outerjoin(MemberProfile, MemberProfile.user_id == reached.c.user_id)
        .outerjoin(ElectoralDistrict, ElectoralDistrict.id == MemberProfile.district_id)
        .group_by(reached.c.program_id, riding, stage)
    )
    by_riding_counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    by_stage: dict[int, dict[str, int]] = {i: {} for i in ids}
    members: dict[int, int] = {i: 0 for i in ids}
    for pid, name, code, count in reached_rows:
        by_riding_counts[pid][name] = by_riding_counts[pid].get(name, 0) + count
        by_stage[pid][code] = by_stage[pid].get(code, 0) + count
        members[pid] += count
    by_riding = {pid: sorted(counts.items()) for pid, counts in by_riding_counts.items()}
    return _Reached(members, by_riding, by_stage)


def _entry(program: Program, counts: dict[str, dict[int, int]], reached: _Reached) -> dict:
    """A program's numbers as they may be shown: small counts withheld, a rate only from shown counts."""
    numerator, denominator = counts["attended_ended"].get(program.id, 0), counts["registered_ended"].get(program.id, 0)
    rate = round(100 * numerator / denominator) if numerator >= SMALL_COUNT and denominator >= SMALL_COUNT else None
    stages = reached.by_stage[program.id]
    return {
        "program_id": program.id,
        "slug": program.slug,
        "name": program.name,
        "events_held": counts["events_held"].get(program.id, 0),
        "registrations": shown(counts["registered"].get(program.id)),
        "attendees": shown(counts["attended"].get(program.id)),
        "attendance_rate": rate,
        "members_reached": shown(reached.members[program.id]),
        "by_riding": _protected(reached.by_riding[program.id]),
        "by_stage": _protected(
            [(str(label), stages[code]) for code, label in LICENSURE_STAGES if stages.get(code)]
            + ([("Not given", stages[""])] if stages.get("") else [])
        ),
    }
