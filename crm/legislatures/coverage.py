"""How much of a legislature the directory holds, for the lead of a campaign there: seats known, members without
an email address, and whether Represent can find the rest."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.legislatures import client
from crm.legislatures.sets import SHIPPED_OFFLINE
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ElectedOffice


@dataclass
class Coverage:
    legislature: str
    title: str
    seats: int  # from crm/data/canada_legislatures.csv
    held: int  # current offices in the directory
    without_email: int  # ... with no address a letter may go to
    represent: bool  # Represent is configured and finds the others
    shipped: bool  # the roster ships with the product (Ontario)


def coverage(session: Session, jurisdiction: Jurisdiction) -> Coverage:
    """The legislature's members in the directory, in one query."""
    no_email = or_(ElectedOffice.legislature_email.is_(None), ElectedOffice.contact_uncertain.is_(True))
    held, without = session.execute(
        select(func.count(ElectedOffice.id), func.count(ElectedOffice.id).filter(no_email)).where(
            ElectedOffice.jurisdiction_id == jurisdiction.id, ElectedOffice.current.is_(True)
        )
    ).one()
    return Coverage(
        legislature=jurisdiction.legislature_name,
        title=jurisdiction.member_title,
        seats=jurisdiction.seats,
        held=held or 0,
        without_email=without or 0,
        represent=client.configured(),
        shipped=jurisdiction.code in SHIPPED_OFFLINE,
    )
