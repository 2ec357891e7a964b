"""Did the office reply? One survey per delivered letter, and the member's answer."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.lib.i18n import N_
from crm.outbox.models import DeliveryEvent

# English here (the timeline and exports); marked with N_ so pages translate them where shown.
ANSWERS = (
    ("replied", N_("Yes, with a real answer")),
    ("acknowledged", N_("An automatic acknowledgement only")),
    ("no_reply", N_("No reply")),
)
TONES = (("supportive", N_("Supportive")), ("neutral", N_("Neutral")), ("opposed", N_("Opposed")))
REPLY_TEXT_MAX = 2000  # a few paragraphs: the gist of the office's reply, not the whole letter


class LetterReply(db.Model):
    """The "did they reply?" survey of one letter (one row per letter, ever) and the member's answer.

    Campaign, official, riding and party are copied from the letter when the survey is queued, so the
    responsiveness panel reads this table alone (a covering index), not a million letters."""

    __tablename__ = "letter_replies"
    __table_args__ = (
        Index(
            "ix_letter_replies_answered",
            "campaign_id",
            "person_id",
            "district_id",
            "party",
            "answer",
            postgresql_where=text("answer IS NOT NULL"),
            sqlite_where=text("answer IS NOT NULL"),
        ),
        Index("ix_letter_replies_person_answered", "person_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_districts.id", ondelete="SET NULL"))
    party: Mapped[str | None] = mapped_column(String(80))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_messages.id", ondelete="SET NULL"), index=True
    )  # the survey email
    nonce: Mapped[str] = mapped_column(String(32))  # in the signed link: a link for another survey never fits
    delivered_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(12))
    reply_text: Mapped[str | None] = mapped_column(Text)
    tone: Mapped[str | None] = mapped_column(String(12))
    answered_at: Mapped[datetime | None]
    stance_id: Mapped[int | None] = mapped_column(ForeignKey("stances.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    letter = relationship("Letter")
    person = relationship("Person")
    campaign = relationship("Campaign")
    stance = relationship("Stance")

    @property
    def answer_label(self) -> str:
        return dict(ANSWERS).get(self.answer or "", N_("Not answered yet"))

    @property
    def tone_label(self) -> str | None:
        return dict(TONES).get(self.tone or "")


# When a letter arrived, as the survey job looks for it (crm.replies.services.delivered_at_column):
# declared here, beside the only query that needs it, so the outbox does not have to know about
# surveys.
Index(
    "ix_delivery_events_delivered_at",
    func.coalesce(DeliveryEvent.occurred_at, DeliveryEvent.received_at),
    postgresql_where=text("event = 'delivered'"),
    sqlite_where=text("event = 'delivered'"),
)
