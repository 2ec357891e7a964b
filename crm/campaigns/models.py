"""Campaigns, their versioned letter templates, and the letters members send."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.extensions import db
from crm.lib.i18n import N_

CAMPAIGN_KINDS = (
    ("own_representative", N_("A letter to each member's own representative")),
    ("fixed_targets", N_("A letter to fixed targets (e.g. a minister)")),
)
CAMPAIGN_STATUSES = (("draft", N_("Draft")), ("live", N_("Live")), ("closed", N_("Closed")))
MPP_ADDRESSES = (("legislature", N_("Legislature email")), ("constituency", N_("Constituency office email")))
BLOCK_KINDS = (
    ("locked", N_("Locked: shown, not editable")),
    ("editable", N_("Editable: pre-filled, the member may change it")),
    ("personal", N_("Personal: the member must write it")),
)
LETTER_DELIVERIES = (
    ("one_by_one", N_("One by one: each letter is emailed to the office as it is sent")),
    ("daily_digest", N_("Daily digest: one email a day per office, listing each constituent's letter in full")),
)
DIGEST_QUEUED = N_("queued for the office's daily digest")  # a digest letter's status until its digest is built
OBSTACLES = (("vacant", "The seat is vacant"), ("no_address", "No known address for the representative"))


@audited
class Campaign(db.Model):
    """A letter campaign run by a lead."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    hashtag: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str | None] = mapped_column(Text)  # the call to action, plain text
    kind: Mapped[str] = mapped_column(String(30), default="own_representative")
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    goal_letters: Mapped[int | None]
    goal_ridings: Mapped[int | None]
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    mpp_address: Mapped[str] = mapped_column(String(20), default="legislature")
    letter_delivery: Mapped[str] = mapped_column(String(12), default="one_by_one", server_default="one_by_one")
    proposal_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal_versions.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    jurisdiction = relationship("Jurisdiction")
    targets = relationship(
        "CampaignTarget", back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignTarget.id"
    )

    def is_open(self, today: date) -> bool:
        """Live, and today within its dates (if set)."""
        if self.status != "live":
            return False
        if self.starts_on and today < self.starts_on:
            return False
        return not (self.ends_on and today > self.ends_on)


class CampaignTarget(db.Model):
    """A fixed recipient of a fixed-targets campaign (e.g. the Minister of Health)."""

    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))

    campaign = relationship("Campaign", back_populates="targets")
    person = relationship("Person")


@audited
class LetterTemplate(db.Model):
    """One version of a campaign's letter: a subject and ordered blocks. Never changed once saved."""

    __tablename__ = "letter_templates"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    subject: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # "en" or "fr" (migration 0041): a campaign may have one current template in each language.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")

    campaign = relationship("Campaign")
    blocks = relationship(
        "LetterBlock", back_populates="template", cascade="all, delete-orphan", order_by="LetterBlock.position"
    )


class LetterBlock(db.Model):
    """A paragraph of a template: locked, editable or personal."""

    __tablename__ = "letter_blocks"
    __table_args__ = (UniqueConstraint("template_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(120))  # shown to the member above the block
    body: Mapped[str] = mapped_column(Text, default="")  # sandboxed template text; a prompt for personal blocks
    min_length: Mapped[int] = mapped_column(default=0)

    template = relationship("LetterTemplate", back_populates="blocks")


class Letter(db.Model):
    """A member's letter to one target in one campaign; its delivery state lives on the outbox row."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", "person_id"),
        Index("ix_letters_campaign_created", "campaign_id", "created_at"),
        # The letters waiting for their office's daily digest (crm/campaigns/digest.py): few, found at once.
        Index(
            "ix_letters_awaiting_digest",
            "campaign_id",
            "to_address",
            postgresql_where=text("for_digest AND message_id IS NULL"),
            sqlite_where=text("for_digest AND message_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("elected_offices.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_districts.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_templates.id"), index=True)
    party: Mapped[str | None] = mapped_column(String(80))  # the target's party when the letter was sent
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The constituent signature the product appends after the body (name, postal code, riding,
    # email, and the
    # street address and phone the member chose to give); kept apart so leads see the body without them.
    signature: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"), index=True)
    # Sent in its office's daily digest: message_id stays empty until the digest is built, then
    # names the digest.
    for_digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")  # its template's (0041)

    campaign = relationship("Campaign")
    user = relationship("User")
    person = relationship("Person")
    office = relationship("ElectedOffice")
    district = relationship("ElectoralDistrict")
    template = relationship("LetterTemplate")
    message = relationship("OutboundMessage")

    @property
    def status(self) -> str:
        """As the delivery pipeline reports it (a digest letter's is its digest's, once built)."""
        if self.message is not None:
            return self.message.status
        return DIGEST_QUEUED if self.for_digest else N_("not sent")


class LetterDigest(db.Model):
    """One office's daily digest in one campaign: one email listing the day's letters (in parts of at most
    digest.MAX_LETTERS). The unique key lets exactly one worker build each office's digest each day."""

    __tablename__ = "letter_digests"
    __table_args__ = (UniqueConstraint("campaign_id", "to_address", "sent_on", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    sent_on: Mapped[date]  # the Toronto day the digest was built
    part: Mapped[int] = mapped_column(default=1)
    letters: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LetterObstacle(db.Model):
    """A member who could not send because the seat is vacant or has no known address (one row each)."""

    __tablename__ = "letter_obstacles"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "district_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_districts.id"))
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RepresentLookup(db.Model):
    """A cached answer of the Represent API for one postal code."""

    __tablename__ = "represent_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    postal_code: Mapped[str] = mapped_column(String(6), unique=True)
    district_ids: Mapped[str] = mapped_column(String(200))  # comma-separated, most likely first
    fetched_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PendingLetter(db.Model):
    """A letter written before its author logged in or joined: it waits, unsent, for them (7 days at most).

    Found by a random token kept in the writer's session and in their confirmation link; never by id.
    """

    __tablename__ = "pending_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_templates.id", ondelete="CASCADE"))
    recipient_key: Mapped[str] = mapped_column(String(40))
    edits: Mapped[str] = mapped_column(Text)  # JSON: block position -> the writer's text
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)

    campaign = relationship("Campaign")


class TemplateFailure(db.Model):
    """A template version that failed to render for some member's values: counted, and shown to the lead."""

    __tablename__ = "template_failures"
    __table_args__ = (UniqueConstraint("template_id", "position", "message"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_templates.id", ondelete="CASCADE"))
    position: Mapped[int]  # the block's position; 0 for the subject
    message: Mapped[str] = mapped_column(String(300))
    sample_values: Mapped[str] = mapped_column(Text)  # JSON: the placeholder values it failed for, no member name
    failures: Mapped[int] = mapped_column(default=1)
    first_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_at: Mapped[datetime] = mapped_column(server_default=func.now())


# --- sharing (crm/campaigns/sharing.py): referral codes and the sign-ups they bring
# ------------------------


class ReferralCode(db.Model):
    """A member's own code for the campaign links they share (?ref=CODE): random, so it tells nothing of their id."""

    __tablename__ = "referral_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CampaignReferral(db.Model):
    """Someone who joined ITPO through a member's shared link to a live campaign (one row per new member)."""

    __tablename__ = "campaign_referrals"
    __table_args__ = (Index("ix_campaign_referrals_campaign_created", "campaign_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
