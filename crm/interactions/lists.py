"""The filtered interaction list and its CSV/XLSX export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from crm.interactions.models import KINDS, Interaction, InteractionHashtag, Participant, not_archived
from crm.interactions.services import interaction_loader_options
from crm.lib.pagination import COUNT_UP_TO, Page, capped_page
from crm.lib.spreadsheets import formula_safe
from crm.lib.sql import in_subquery
from crm.stakeholders.models import Person
from crm.stakeholders.parties import parse_party_ref

EXPORT_LIMIT = 100_000


@dataclass
class InteractionFilters:
    kind: str | None = None
    hashtag: str | None = None
    jurisdiction_id: int | None = None
    stakeholder: str | None = None  # 'person:12' or 'organization:3'
    participant_user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    member_reports_only: bool = False


def _party_rows(kind: str, party_id: int):
    """`rows(participant)`: the condition that a participants row (or an alias) is this party's; an
    organization's rows are its own and its people's."""
    if kind == "person":
        return lambda row: row.person_id == party_id
    if kind == "user":
        return lambda row: row.user_id == party_id
    staff = select(Person.id).where(Person.organization_id == party_id)
    return lambda row: or_(row.organization_id == party_id, in_subquery(row.person_id, staff))


def _parties(filters: InteractionFilters) -> list:
    """The party filters (stakeholder, then ITPO participant) as `_party_rows` conditions."""
    parties = []
    if filters.stakeholder:
        try:
            kind, party_id = parse_party_ref(filters.stakeholder)
        except ValueError:
            kind, party_id = "person", 0
        parties.append(_party_rows(kind, party_id))
    if filters.participant_user_id:
        parties.append(_party_rows("user", filters.participant_user_id))
    return parties


def _conditions(filters: InteractionFilters, parties: list, narrowed: bool) -> list:
    """Conditions on Interaction for every filter but the party that drives the query (`parties[0]`, if any).

    `narrowed`: another filter already picks few rows in date order, so each row's hashtags are probed rather than
    every interaction with the tag listed first.
    """
    conditions = []
    if filters.kind and filters.kind in dict(KINDS):
        conditions.append(Interaction.kind == filters.kind)
    if filters.hashtag:
        tag = "#" + filters.hashtag.strip().lstrip("#").lower()
        if narrowed or filters.kind or filters.jurisdiction_id:
            conditions.append(
                select(InteractionHashtag.interaction_id)
                .where(InteractionHashtag.interaction_id == Interaction.id, InteractionHashtag.tag == tag)
                .exists()
            )
        else:
            conditions.append(
                Interaction.id.in_(select(InteractionHashtag.interaction_id).where(InteractionHashtag.tag == tag))
            )
    if filters.jurisdiction_id:
        conditions.append(Interaction.jurisdiction_id == filters.jurisdiction_id)
    for rows in parties[1:]:
        conditions.append(Interaction.id.in_(select(Participant.interaction_id).where(rows(Participant))))
    if filters.date_from:
        conditions.append(Interaction.occurred_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        conditions.append(Interaction.occurred_at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    if filters.member_reports_only:
        conditions.append(Interaction.member_report.is_(True))
    return conditions


def _matching(filters: InteractionFilters):
    """(occurred_at, id) of the interactions matching every filter, newest first: narrow rows indexes alone
    can answer. Design: docs/design-notes.md, "interactions/lists.py: _matching"."""
    parties = _parties(filters)
    conditions = _conditions(filters, parties, narrowed=bool(parties))
    if not parties:
        return (
            select(Interaction.occurred_at, Interaction.id)
            .where(not_archived(Interaction.id), *conditions)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        )
    row = aliased(Participant)
    stmt = select(row.occurred_at, row.interaction_id.label("id")).where(
        parties[0](row), not_archived(row.interaction_id)
    )
    if conditions:
        stmt = stmt.join(Interaction, Interaction.id == row.interaction_id).where(*conditions)
    return stmt.group_by(row.occurred_at, row.interaction_id).order_by(
        row.occurred_at.desc(), row.interaction_id.desc()
    )


def filtered_interactions(filters: InteractionFilters):
    """Interactions matching every given filter, newest first, with participants eager-loaded."""
    matching = _matching(filters).subquery()
    return (
        select(Interaction)
        .join(matching, matching.c.id == Interaction.id)
        .options(*interaction_loader_options())
        .order_by(matching.c.occurred_at.desc(), matching.c.id.desc())
    )


def interactions_page(
    session: Session, filters: InteractionFilters, *, limit: int, offset: int, exact: bool = False
) -> Page:
    """One page of `filtered_interactions`, counted up to COUNT_UP_TO (or this page's end) unless `exact`;
    beyond that, "more than". Design: docs/design-notes.md, "interactions/lists.py: interactions_page"."""

    def load(ids):
        return {
            i.id: i
            for i in session.scalars(
                select(Interaction).where(Interaction.id.in_(ids)).options(*interaction_loader_options())
            ).unique()
        }

    return capped_page(session, _matching(filters), load, limit=limit, offset=offset, exact=exact, up_to=COUNT_UP_TO)


# --- export --------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "id",
    "date",
    "kind",
    "title",
    "hashtags",
    "jurisdiction",
    "stakeholders",
    "itpo_people",
    "summary",
    "outcome",
    "member_report",
    "platform",
    "url",
    "reach",
    "posted_by",
]


def export_rows(session: Session, stmt) -> list[dict]:
    """The rows of an export, every text cell formula-safe."""
    rows = []
    for interaction in session.scalars(stmt.limit(EXPORT_LIMIT)).unique():
        row = {
            "id": interaction.id,
            "date": interaction.occurred_at.isoformat(sep=" ", timespec="minutes"),
            "kind": interaction.kind_label,
            "title": interaction.title,
            "hashtags": interaction.hashtags or "",
            "jurisdiction": interaction.jurisdiction.code if interaction.jurisdiction else "",
            "stakeholders": "; ".join(f"{p.name} ({p.role_label})" for p in interaction.stakeholders),
            "itpo_people": "; ".join(f"{p.name} ({p.role_label})" for p in interaction.itpo_people),
            "summary": interaction.summary or "",
            "outcome": interaction.outcome or "",
            "member_report": "yes" if interaction.member_report else "no",
            "platform": interaction.platform or "",
            "url": interaction.url or "",
            "reach": interaction.reach if interaction.reach is not None else "",
            "posted_by": interaction.posted_by or "",
        }
        rows.append({key: formula_safe(value) for key, value in row.items()})
    return rows


def to_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8


def to_xlsx(rows: list[dict]) -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Interactions")
    return buffer.getvalue()
