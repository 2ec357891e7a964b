"""The filtered interaction list and its CSV/XLSX export."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.interactions.models import KINDS, Interaction, InteractionHashtag, Participant
from crm.interactions.services import interaction_loader_options, parse_party_ref
from crm.spreadsheets import formula_safe
from crm.stakeholders.models import Person

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


def stakeholder_interaction_ids(person_id: int | None = None, organization_id: int | None = None):
    """Ids of interactions a person took part in, or an organization (itself or through its people)."""
    if person_id is not None:
        return select(Participant.interaction_id).where(Participant.person_id == person_id)
    staff = select(Person.id).where(Person.organization_id == organization_id).scalar_subquery()
    return select(Participant.interaction_id).where(
        or_(Participant.organization_id == organization_id, Participant.person_id.in_(staff)))


def filtered_interactions(filters: InteractionFilters):
    """Interactions matching every given filter, newest first, with participants eager-loaded."""
    stmt = select(Interaction)
    if filters.kind and filters.kind in dict(KINDS):
        stmt = stmt.where(Interaction.kind == filters.kind)
    if filters.hashtag:
        tag = "#" + filters.hashtag.strip().lstrip("#").lower()
        if filters.kind or filters.jurisdiction_id:
            # Narrowed already: walk that (kind|jurisdiction, occurred_at) index and probe each row's tags.
            stmt = stmt.where(select(InteractionHashtag.interaction_id).where(
                InteractionHashtag.interaction_id == Interaction.id, InteractionHashtag.tag == tag).exists())
        else:
            stmt = stmt.where(Interaction.id.in_(select(InteractionHashtag.interaction_id)
                                                 .where(InteractionHashtag.tag == tag)))
    if filters.jurisdiction_id:
        stmt = stmt.where(Interaction.jurisdiction_id == filters.jurisdiction_id)
    if filters.stakeholder:
        try:
            kind, party_id = parse_party_ref(filters.stakeholder)
        except ValueError:
            kind, party_id = "person", 0
        if kind == "person":
            stmt = stmt.where(Interaction.id.in_(stakeholder_interaction_ids(person_id=party_id)))
        elif kind == "organization":
            stmt = stmt.where(Interaction.id.in_(stakeholder_interaction_ids(organization_id=party_id)))
        else:
            stmt = stmt.where(Interaction.id.in_(select(Participant.interaction_id)
                                                 .where(Participant.user_id == party_id)))
    if filters.participant_user_id:
        stmt = stmt.where(Interaction.id.in_(select(Participant.interaction_id)
                                             .where(Participant.user_id == filters.participant_user_id)))
    if filters.date_from:
        stmt = stmt.where(Interaction.occurred_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        stmt = stmt.where(Interaction.occurred_at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    if filters.member_reports_only:
        stmt = stmt.where(Interaction.member_report.is_(True))
    return stmt.options(*interaction_loader_options()).order_by(Interaction.occurred_at.desc(),
                                                                 Interaction.id.desc())


# --- export -----------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ["id", "date", "kind", "title", "hashtags", "jurisdiction", "stakeholders", "itpo_people",
                  "summary", "outcome", "member_report", "platform", "url", "reach", "posted_by"]


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
