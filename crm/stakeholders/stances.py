"""Stances: where a person or an organization stands on each of ITPO's asks, dated."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext
from sqlalchemy.orm import Session

from crm.lib.errors import ValidationError
from crm.stakeholders.models import ASKS, POSITIONS, Organization, Person, Stance

EARLIEST_STANCE = date(1990, 1, 1)  # before ITPO's asks existed: a date earlier is a typing mistake


def add_stance(
    session: Session,
    *,
    ask: str,
    position: str,
    as_of: date,
    source: str | None,
    note: str | None,
    person: Person | None = None,
    organization: Organization | None = None,
    author_id: int | None = None,
) -> Stance:
    """Record a new stance; earlier ones stay as history and the newest (by date) is the current one."""
    if ask not in dict(ASKS):
        raise ValidationError("ask", gettext("Choose one of the three asks."))
    if position not in dict(POSITIONS):
        raise ValidationError("position", gettext("Choose supportive, neutral, opposed or unknown."))
    if (person is None) == (organization is None):
        raise ValidationError(None, gettext("A stance belongs to one person or one organization."))
    # (UTC's date: every Canadian time zone is behind UTC, so a later date is in the future here.)
    if as_of < EARLIEST_STANCE:
        raise ValidationError(
            "as_of", f"Enter a date from {EARLIEST_STANCE.year} on: the date the stance was stated or observed."
        )
    if as_of > datetime.now(UTC).date():
        raise ValidationError(
            "as_of",
            "That date is in the future. Enter the date the stance was stated or "
            "observed, today at the latest: the newest stance is shown as the current one.",
        )
    stance = Stance(
        ask=ask,
        position=position,
        as_of=as_of,
        source=source or None,
        note=note or None,
        person=person,
        organization=organization,
        created_by_id=author_id,
    )
    session.add(stance)
    session.flush()
    return stance
