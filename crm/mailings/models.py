"""Segments (who a mailing goes to), mailings, and each recipient's record."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.extensions import db

MAILING_STATUSES = (("draft", "Draft"), ("scheduled", "Scheduled"), ("sent", "Sent"), ("cancelled", "Cancelled"))


@audited
class Segment(db.Model):
    """A saved set of member filters; the members it names are worked out each time it is used."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    filters: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


@audited
class Mailing(db.Model):
    """A call-to-action email for a campaign to the members of a segment."""

    __tablename__ = "mailings"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    filters: Mapped[dict | None] = mapped_column(JSON)  # the segment's filters as they were when it was sent
    subject: Mapped[str] = mapped_column(String(300))  # sandboxed template text
    body: Mapped[str] = mapped_column(Text)  # sandboxed template text
    subject_fr: Mapped[str | None] = mapped_column(String(300))  # the French version: both set, or both None
    body_fr: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    scheduled_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]  # when its recipients were put in the outbox
    cancelled_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)  # queued in the outbox
    skipped: Mapped[int] = mapped_column(default=0)  # left out: the template failed for them
    # its English batch (its French one, if all were French); its recipients' messages: MailingRecipient
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("mail_batches.id", ondelete="SET NULL"))
    french_batch_id: Mapped[int | None] = mapped_column(ForeignKey("mail_batches.id", ondelete="SET NULL"))
    # while its recipients are queued (a step at a time, each committed): the highest member id queued
    queued_through: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    campaign = relationship("Campaign")
    segment = relationship(Segment)

    @property
    def has_french(self) -> bool:
        return bool(self.subject_fr and self.body_fr)


class MailingRecipient(db.Model):
    """One member's copy of one mailing: recorded once, with its outbox message or why it was skipped."""

    __tablename__ = "mailing_recipients"
    __table_args__ = (UniqueConstraint("mailing_id", "user_id"), Index("ix_mailing_recipients_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The id drawn for the member's outbox message, written in the same transaction. No foreign key:
    # its check per row locked each message just written; outbox rows are never deleted (0047).
    message_id: Mapped[int | None]
    skipped_reason: Mapped[str | None] = mapped_column(String(300))
    clicked_at: Mapped[datetime | None]
