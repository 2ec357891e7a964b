"""Programs, their events (webinars), registrations with a waitlist, attendance, speakers and resources.

Times are stored as naive UTC; pages show them in America/Toronto (see crm.programs.times).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.extensions import db
from crm.lib.i18n import N_

EVENT_STATUSES = ("draft", "open", "cancelled")  # "full" and "past" are derived from the rows, never stored
REGISTRATION_STATUSES = ("registered", "waitlisted", "cancelled")
SPEAKER_ROUTES = (
    ("matched", N_("Matched to residency through CaRMS")),
    ("pra", N_("Completed a PRA")),
    ("licensed", N_("Licensed in Canada")),
)
OFFER_STATUSES = ("pending", "accepted", "declined")


class Program(db.Model):
    """One of ITPO's four member programs; seeded, rarely edited."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text)
    audience_stages: Mapped[str] = mapped_column(String(200), default="")  # comma-separated licensure stages
    position: Mapped[int] = mapped_column(default=0)

    @property
    def stages(self) -> list[str]:
        return [s for s in self.audience_stages.split(",") if s]


@audited
class Event(db.Model):
    """A webinar of a program. `lock_version` is bumped to serialise registrations and cancellations."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="positive_capacity"),
        Index("ix_events_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="draft")
    join_url: Mapped[str | None] = mapped_column(String(500))
    lock_version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    program = relationship("Program", backref=db.backref("events", lazy="dynamic"))
    speakers = relationship("SpeakerOffer", secondary="event_speakers", order_by="SpeakerOffer.id")


@audited
class SpeakerOffer(db.Model):
    """A member offers to speak about their route to practice; the committee accepts or declines."""

    __tablename__ = "speaker_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    route: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(Text)
    consent_featured: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user = relationship("User", foreign_keys=[user_id])
    program = relationship("Program")


class EventSpeaker(db.Model):
    """A speaker (an accepted offer) assigned to an event."""

    __tablename__ = "event_speakers"
    __table_args__ = (UniqueConstraint("event_id", "offer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("speaker_offers.id", ondelete="CASCADE"), index=True)


@audited
class Registration(db.Model):
    """A member's place (or waitlist spot) at an event; one row per member and event, reused on re-registering."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    queued_at: Mapped[datetime]  # when the current status began: the waitlist runs in this order
    cancelled_at: Mapped[datetime | None]
    reminder_queued_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    event = relationship("Event", backref=db.backref("registrations", lazy="dynamic"))
    user = relationship("User")


class Attendance(db.Model):
    """Someone attended an event (marked by the committee, or imported from the webinar platform's list)."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # manual, import
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


@audited
class Resource(db.Model):
    """A link or an uploaded file in a program's library, tagged by licensure stage."""

    __tablename__ = "program_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    stored_name: Mapped[str | None] = mapped_column(String(80))
    original_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    stages: Mapped[str] = mapped_column(String(200), default="")  # comma-separated; empty = every stage
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    program = relationship("Program")

    @property
    def is_file(self) -> bool:
        return self.stored_name is not None

    @property
    def stage_list(self) -> list[str]:
        return [s for s in self.stages.split(",") if s]
