"""A stakeholder's timeline: everything ITPO did with a person or organization, newest first, from
registered sources. Extension point: docs/design-notes.md, "interactions/timeline.py"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import gettext
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from crm.interactions.follow_ups import SHOWN, open_follow_ups_about
from crm.interactions.models import Interaction, Participant, not_archived
from crm.interactions.services import interaction_loader_options
from crm.lib.i18n import translate_data
from crm.lib.pagination import Page
from crm.lib.sql import in_subquery
from crm.stakeholders.models import Person, Stance
from crm.stakeholders.timeline import register_timeline_provider


@dataclass
class TimelineEntry:
    kind: str
    occurred_at: datetime
    item: Any
    title: str
    url: str | None = None


@dataclass
class TimelineSource:
    """`build(person_id, organization_id)` → SELECT(kind, occurred_at, ref_id); `load(session, ids)` → entries."""

    kind: str
    build: Callable[[int | None, int | None], Any]
    load: Callable[[Session, list[int]], dict[int, TimelineEntry]]


_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    _SOURCES[source.kind] = source


def _interaction_rows(person_id: int | None, organization_id: int | None):
    """From participants alone (they carry occurred_at), so a 10,000-entry timeline pages through an index."""
    stmt = select(
        literal("interaction").label("kind"),
        Participant.occurred_at.label("occurred_at"),
        Participant.interaction_id.label("ref_id"),
    ).where(not_archived(Participant.interaction_id))
    if person_id is not None:
        return stmt.where(Participant.person_id == person_id)
    staff = select(Person.id).where(Person.organization_id == organization_id)
    # The organization and one of its people may both have taken part: count the interaction once.
    return stmt.where(
        or_(Participant.organization_id == organization_id, in_subquery(Participant.person_id, staff))
    ).distinct()


def _load_interactions(session: Session, ids: list[int]) -> dict[int, TimelineEntry]:
    rows = session.scalars(
        select(Interaction).where(Interaction.id.in_(ids)).options(*interaction_loader_options())
    ).unique()
    return {
        i.id: TimelineEntry(
            "interaction", i.occurred_at, i, i.title, url_for("interactions.detail", interaction_id=i.id)
        )
        for i in rows
    }


register_timeline_source(TimelineSource("interaction", _interaction_rows, _load_interactions))


def _stance_rows(person_id: int | None, organization_id: int | None):
    """Stance changes, dated when they were recorded (the as-of date is shown in the title)."""
    stmt = select(literal("stance").label("kind"), Stance.created_at.label("occurred_at"), Stance.id.label("ref_id"))
    if person_id is not None:
        return stmt.where(Stance.person_id == person_id)
    return stmt.where(Stance.organization_id == organization_id)


def _load_stances(session: Session, ids: list[int]) -> dict[int, TimelineEntry]:
    entries = {}
    for stance in session.scalars(select(Stance).where(Stance.id.in_(ids))):
        title = gettext(
            "Stance on %(ask)s: %(position)s (as of %(day)s)",
            ask=translate_data(stance.ask_label),
            position=translate_data(stance.position_label),
            day=stance.as_of.isoformat(),
        )
        if stance.created_by is not None:
            title = gettext(
                "%(stance)s, recorded by %(who)s", stance=title, who=stance.created_by.name or stance.created_by.email
            )
        entries[stance.id] = TimelineEntry("stance", stance.created_at, stance, title)
    return entries


register_timeline_source(TimelineSource("stance", _stance_rows, _load_stances))
# Letters received register from the campaigns package (crm/campaigns/timeline.py).


def timeline_for(
    session: Session,
    *,
    person_id: int | None = None,
    organization_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """One page of a person's or an organization's timeline (exactly one of the two ids), newest first."""
    if (person_id is None) == (organization_id is None):
        raise ValueError("give exactly one of person_id and organization_id")
    parts = [source.build(person_id, organization_id) for source in _SOURCES.values()]
    combined = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("timeline")
    total = session.scalar(select(func.count()).select_from(combined)) or 0
    rows = session.execute(
        select(combined.c.kind, combined.c.ref_id)
        .order_by(combined.c.occurred_at.desc(), combined.c.ref_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    wanted: dict[str, list[int]] = {}
    for kind, ref_id in rows:
        wanted.setdefault(kind, []).append(ref_id)
    loaded = {kind: _SOURCES[kind].load(session, ids) for kind, ids in wanted.items()}
    items = [loaded[kind][ref_id] for kind, ref_id in rows if ref_id in loaded[kind]]
    return Page(items=items, total=total, limit=limit, offset=offset)


@register_timeline_provider
def _open_follow_ups(session: Session, subject, page_number: int) -> dict | None:
    """Above the timeline: the open follow-ups of the subject's interactions, if any."""
    key = "person_id" if isinstance(subject, Person) else "organization_id"
    follow_ups = open_follow_ups_about(session, **{key: subject.id}, limit=SHOWN + 1)
    if not follow_ups:
        return None
    return {
        "template": "interactions/_open_follow_ups.html",
        "follow_ups": follow_ups[:SHOWN],
        "more": len(follow_ups) > SHOWN,
        "today": date.today(),
    }


@register_timeline_provider
def _directory_timeline(session: Session, subject, page_number: int) -> dict:
    """Fill the timeline area of the directory's person and organization pages."""
    limit = 20
    offset = max(0, page_number - 1) * limit
    if isinstance(subject, Person):
        page = timeline_for(session, person_id=subject.id, limit=limit, offset=offset)
        endpoint, args = "stakeholders.person", {"person_id": subject.id}
    else:
        page = timeline_for(session, organization_id=subject.id, limit=limit, offset=offset)
        endpoint, args = "stakeholders.organization", {"organization_id": subject.id}
    return {
        "template": "interactions/_timeline.html",
        "page": page,
        "timeline_endpoint": endpoint,
        "timeline_args": args,
    }
