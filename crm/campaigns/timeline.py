"""Letters members sent to a person appear on that person's (and their organization's) timeline."""

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, joinedload

from crm.campaigns.models import Letter
from crm.interactions.timeline import TimelineEntry, TimelineSource, register_timeline_source
from crm.stakeholders.models import Person


def _letter_rows(person_id: int | None, organization_id: int | None):
    stmt = select(literal("letter").label("kind"), Letter.created_at.label("occurred_at"), Letter.id.label("ref_id"))
    if person_id is not None:
        return stmt.where(Letter.person_id == person_id)
    staff = select(Person.id).where(Person.organization_id == organization_id).scalar_subquery()
    return stmt.where(Letter.person_id.in_(staff))


def _load_letters(session: Session, ids: list[int]) -> dict[int, TimelineEntry]:
    letters = session.scalars(select(Letter).where(Letter.id.in_(ids)).options(joinedload(Letter.campaign)))
    # No member name or text here: the committee sees that a letter arrived, leads open it from the
    # campaign.
    return {
        letter.id: TimelineEntry(
            "letter", letter.created_at, letter, f"Letter from a member, campaign {letter.campaign.name}"
        )
        for letter in letters
    }


register_timeline_source(TimelineSource("letter", _letter_rows, _load_letters))
