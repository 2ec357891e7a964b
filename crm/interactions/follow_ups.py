"""Follow-ups where people look: a stakeholder's open ones on their directory page, and for the staff home page
one's own (overdue first) and the week's meetings. One query each, however many there are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from crm.interactions.models import FollowUp, Interaction, Participant, not_archived
from crm.interactions.services import open_follow_ups_for
from crm.lib.sql import in_subquery
from crm.stakeholders.models import Person

SHOWN = 20  # on a page that is about something else; the rest are a click away


def _interactions_with(person_id: int | None, organization_id: int | None):
    """The ids of the interactions a person, or an organization (itself or one of its people), took part in."""
    if person_id is not None:
        return select(Participant.interaction_id).where(Participant.person_id == person_id)
    staff = select(Person.id).where(Person.organization_id == organization_id)
    return select(Participant.interaction_id).where(
        or_(Participant.organization_id == organization_id, in_subquery(Participant.person_id, staff))
    )


def open_follow_ups_about(
    session: Session, *, person_id: int | None = None, organization_id: int | None = None, limit: int = SHOWN
) -> list[FollowUp]:
    """Open follow-ups of the interactions a stakeholder took part in, the earliest due (overdue) first; up to
    `limit` (ask for one more to know there are others)."""
    stmt = (
        select(FollowUp)
        .where(
            FollowUp.status == "open",
            FollowUp.interaction_id.in_(_interactions_with(person_id, organization_id)),
            not_archived(FollowUp.interaction_id),
        )
        .options(joinedload(FollowUp.interaction), joinedload(FollowUp.assignee))
        .order_by(FollowUp.due_date, FollowUp.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def my_open_follow_ups(session: Session, user_id: int, limit: int = SHOWN) -> list[FollowUp]:
    """The user's open follow-ups, overdue first, up to `limit`."""
    return list(session.scalars(open_follow_ups_for(user_id).limit(limit)))


def meetings_since(session: Session, since: datetime, limit: int = SHOWN) -> list[Interaction]:
    """Meetings that took place since `since`, newest first, with their participants (one more query)."""
    stmt = (
        select(Interaction)
        .where(Interaction.kind == "meeting", Interaction.occurred_at >= since, Interaction.archived.is_(False))
        .options(
            selectinload(Interaction.participants).joinedload(Participant.person),
            selectinload(Interaction.participants).joinedload(Participant.organization),
            selectinload(Interaction.participants).joinedload(Participant.user),
        )
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
