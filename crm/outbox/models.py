"""The outbox: every outgoing email is a row here before any backend sees it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.lib.i18n import N_

STATUSES = (
    N_("queued"),
    N_("sending"),
    N_("accepted"),
    N_("delivered"),
    N_("deferred"),
    N_("bounced"),
    N_("dropped"),
    N_("failed"),
    N_("unknown"),
    N_("cancelled"),
)
# How far along each status is; a provider event may only move a message to a higher rank.
STATUS_RANK = {
    "queued": 0,
    "sending": 1,
    "unknown": 1,
    "accepted": 2,
    "deferred": 3,
    "delivered": 4,
    "bounced": 4,
    "dropped": 4,
    "failed": 4,
    "cancelled": 4,
}
FINAL_STATUSES = frozenset(status for status, rank in STATUS_RANK.items() if rank == 4)
# The statuses the claim index holds on PostgreSQL: still to be sent or settled, or needing an admin
# (migration 0047); accepted, delivered, bounced, dropped, cancelled (nearly all) are left out.
CLAIM_INDEXED = ("queued", "sending", "unknown", "deferred", "failed")


class MailBatch(db.Model):
    """The shared content of a bulk email to many members; each recipient is an OutboundMessage."""

    __tablename__ = "mail_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


def _where_set(column: str) -> dict:
    """A partial index's condition, on both databases: only the rows where `column` has a value."""
    return {"postgresql_where": text(f"{column} IS NOT NULL"), "sqlite_where": text(f"{column} IS NOT NULL")}


class OutboundMessage(db.Model):
    """One email to one recipient, with its delivery state."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        # The claim order; on PostgreSQL only CLAIM_INDEXED rows, so a message marked accepted enters
        # one index fewer. (SQLite would not see that `status = 'queued'` implies an IN list.)
        Index(
            "ix_outbound_messages_due",
            "status",
            "next_attempt_at",
            "id",
            postgresql_where=text("status IN ({})".format(", ".join(f"'{status}'" for status in CLAIM_INDEXED))),
        ),
        # Every query by address is an equality or an IN list: on PostgreSQL a hash index, whose entries
        # are 4-byte hashes, so entering a message compares no addresses by collation (migration 0048).
        Index("ix_outbound_messages_to_address", "to_address", postgresql_using="hash"),
        # /metrics: sends in the last minutes; webhook events matched to their message. Only rows with a
        # value are indexed: a queued or sending message then enters two indexes fewer (migration 0045).
        Index("ix_outbound_messages_sent_at", "sent_at", **_where_set("sent_at")),
        Index("ix_outbound_messages_provider_message_id", "provider_message_id", **_where_set("provider_message_id")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # confirm_email, password_reset, letter, call_to_action, ...
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("mail_batches.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    from_address: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    first_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    unknown_since: Mapped[datetime | None]
    # Resent after its fate was unknown: the recipient may have it twice.
    possible_duplicate: Mapped[bool] = mapped_column(default=False, server_default=false())
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    batch = relationship(MailBatch)

    def content(self) -> tuple[str, str, str | None]:
        """Subject, text and HTML: the message's own, or its batch's with the unsubscribe link filled in."""
        if self.batch is None:
            return self.subject, self.text_body, self.html_body
        url = self.unsubscribe_url or ""
        html = self.batch.html_body.replace(UNSUBSCRIBE_TOKEN, url) if self.batch.html_body else None
        return self.batch.subject, self.batch.text_body.replace(UNSUBSCRIBE_TOKEN, url), html


UNSUBSCRIBE_TOKEN = "-unsubscribe_url-"


class DeliveryEvent(db.Model):
    """One provider event (webhook), stored once however often the provider sends it."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(30))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"), index=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)  # /metrics, health page


class AddressHealth(db.Model):
    """Bounces counted per recipient address; past a threshold the address is failing."""

    __tablename__ = "address_health"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    bounces: Mapped[int] = mapped_column(default=0)
    last_bounce_at: Mapped[datetime | None]
    last_reason: Mapped[str | None] = mapped_column(String(500))
    failing: Mapped[bool] = mapped_column(default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Suppression(db.Model):
    """An address that asked for no more member emails (one-click unsubscribe)."""

    __tablename__ = "mail_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SendingPause(db.Model):
    """A pause every worker honours (the provider said 429 until a reset time)."""

    __tablename__ = "sending_pauses"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    paused_until: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200))
