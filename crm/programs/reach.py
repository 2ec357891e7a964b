"""Who the programs reach: the numbers behind the program dashboards, with small counts protected.

Every count under SMALL_COUNT is returned as the text "fewer than 5", and the breakdowns by riding and
by stage go through `protect` (crm.members.small_counts), so no page built on this can single out a
member, even by subtracting from the members reached; a rate is given only when both of its counts are shown.
"""

from __future__ import annotations

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
    """One entry per program (or just `program_id`'s): events held, registrations, attendees, attendance
    rate (registered people who came, over events that have ended), and members reached by riding and stage.

    `start`/`end` (inclusive) keep only the events that start within those days (UTC).
    """
    now = now or datetime.utcnow()
    programs = select(Program).order_by(Program.position)
    if program_id is not None:
        programs = programs.where(Program.id == program_id)
    programs = list(session.scalars(programs))
    ids = [p.id for p in programs]
    live = (Event.status != "draft") & Event.program_id.in_(ids)
    if start:
        live = live & (Event.starts_at >= datetime.combine(start, time.min))
    if end:
        live = live & (Event.starts_at < datetime.combine(end + timedelta(days=1), time.min))
    ended = Event.ends_at <= now

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

    events_held = _per_program(
        session,
        select(Event.program_id, func.count(Event.id))
        .where(live, ended, Event.status == "open")
        .group_by(Event.program_id),
    )
    registered = _per_program(session, registrations())
    registered_ended = _per_program(session, registrations(ended))
    attended = _per_program(session, attendances())
    attended_ended = _per_program(
        session,
        attendances(ended).join(
            Registration,
            (Registration.event_id == Attendance.event_id)
            & (Registration.user_id == Attendance.user_id)
            & (Registration.status == "registered"),
        ),
    )

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
    result = []
    for program in programs:
        numerator, denominator = attended_ended.get(program.id, 0), registered_ended.get(program.id, 0)
        rate = round(100 * numerator / denominator) if numerator >= SMALL_COUNT and denominator >= SMALL_COUNT else None
        stages = by_stage[program.id]
        result.append(
            {
                "program_id": program.id,
                "slug": program.slug,
                "name": program.name,
                "events_held": events_held.get(program.id, 0),
                "registrations": shown(registered.get(program.id)),
                "attendees": shown(attended.get(program.id)),
                "attendance_rate": rate,
                "members_reached": shown(members[program.id]),
                "by_riding": _protected(by_riding[program.id]),
                "by_stage": _protected(
                    [(label, stages[code]) for code, label in LICENSURE_STAGES if stages.get(code)]
                    + ([("Not given", stages[""])] if stages.get("") else [])
                ),
            }
        )
    return result
