"""What came of a campaign's mailings (conversion), and who took part in a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.campaigns.models import Letter
from crm.mailings.models import Mailing, MailingRecipient
from crm.mailings.segments import consents_to_email
from crm.members.models import MemberProfile
from crm.members.small_counts import SMALL_COUNT, shown_count
from crm.outbox.models import OutboundMessage, Suppression
from crm.reference.models import ElectoralDistrict

CONVERSION_DAYS = 14


@dataclass
class Conversion:
    """One sent mailing's figures; every count is of members, shown through shown_count."""

    mailing: Mailing
    sent: int
    skipped: int
    delivered: int
    bounced: int
    unsubscribed: int
    clicked: int
    wrote: int

    def shown(self, name: str) -> str:
        return shown_count(getattr(self, name))

    @property
    def rate(self) -> str:
        """Members who wrote, per member sent to; withheld while it would give a small count away."""
        if not self.sent or self.wrote < SMALL_COUNT:
            return "—"
        return f"{100 * self.wrote / self.sent:.1f}%"


def mailing_conversion(session: Session, campaign_id: int) -> list[Conversion]:
    """For each sent or cancelled-after-sending mailing of the campaign, newest first: one aggregate query each."""
    mailings = session.scalars(
        select(Mailing)
        .where(Mailing.campaign_id == campaign_id, Mailing.queued_at.is_not(None))
        .order_by(Mailing.queued_at.desc(), Mailing.id.desc())
    ).all()
    return [_conversion(session, mailing) for mailing in mailings]


def _conversion(session: Session, mailing: Mailing) -> Conversion:
    # (a second early: SQLite compares times as text, and a letter stored at '…:11' sorts before
    # '…:11.000000')
    start: datetime = mailing.queued_at - timedelta(seconds=1)
    wrote = exists().where(
        Letter.user_id == MailingRecipient.user_id,
        Letter.campaign_id == mailing.campaign_id,
        Letter.created_at >= start,
        Letter.created_at < start + timedelta(days=CONVERSION_DAYS),
    )
    unsubscribed = exists().where(Suppression.address == OutboundMessage.to_address, Suppression.created_at >= start)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(MailingRecipient.message_id),
            total(MailingRecipient.skipped_reason.is_not(None)),
            total(OutboundMessage.status == "delivered"),
            total(OutboundMessage.status.in_(("bounced", "dropped"))),
            total(unsubscribed),
            total(MailingRecipient.clicked_at.is_not(None)),
            total(wrote),
        )
        .select_from(MailingRecipient)
        .outerjoin(OutboundMessage, OutboundMessage.id == MailingRecipient.message_id)
        .where(MailingRecipient.mailing_id == mailing.id)
    ).one()
    return Conversion(mailing, *(int(value or 0) for value in row))


PARTICIPANT_COLUMNS = ["Name", "Email", "Riding", "Consents to ITPO email", "First letter", "Letters"]


def participants(campaign_id: int, district_id: int | None = None):
    """A select of the members who wrote in the campaign, by name: (user id, name, email, riding, consent,
    first letter, letters)."""
    letters = (
        select(Letter.user_id, func.min(Letter.created_at).label("first"), func.count().label("n"))
        .where(Letter.campaign_id == campaign_id)
        .group_by(Letter.user_id)
        .subquery()
    )
    stmt = (
        select(
            User.id, User.name, User.email, ElectoralDistrict.name, consents_to_email(), letters.c.first, letters.c.n
        )
        .join(letters, letters.c.user_id == User.id)
        .outerjoin(MemberProfile, MemberProfile.user_id == User.id)
        .outerjoin(ElectoralDistrict, ElectoralDistrict.id == MemberProfile.district_id)
        .order_by(func.lower(User.name), User.id)
    )
    if district_id is not None:
        stmt = stmt.where(MemberProfile.district_id == district_id)
    return stmt


def participant_cells(row) -> list:
    """One participant as the download writes it."""
    _, name, email, riding, consent, first, count = row
    return [name, email, riding or "", "yes" if consent else "no", first.strftime("%Y-%m-%d") if first else "", count]
