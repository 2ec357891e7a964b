"""Proposals per jurisdiction with immutable published versions; the three asks and their status."""

from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, func, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.extensions import db
from crm.lib.i18n import N_


@audited
class Proposal(db.Model):
    """One line of versions for one jurisdiction, e.g. "Proposal to Ontario"."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    jurisdiction = relationship("Jurisdiction")
    versions = relationship("ProposalVersion", back_populates="proposal", order_by="ProposalVersion.number")


# Columns a published version can never change again (published_at is set once, by publishing).
IMMUTABLE_COLUMNS = (
    "proposal_id",
    "number",
    "body",
    "change_summary",
    "pdf_filename",
    "pdf_size",
    "pdf_sha256",
    "author_id",
    "published_at",
)


class PublishedVersionError(RuntimeError):
    """Something tried to change a published version; start a new version instead."""


@audited
class ProposalVersion(db.Model):
    """A numbered version: Markdown body, optional PDF, change summary. Draft until published, then frozen."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))  # indexed by (proposal_id, number)
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    change_summary: Mapped[str] = mapped_column(Text, default="")
    # The PDF lives under PROPOSAL_FILES_DIR, named by its SHA-256; pdf_filename is its uploaded name.
    pdf_filename: Mapped[str | None] = mapped_column(String(200))
    pdf_size: Mapped[int | None]
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    published_at: Mapped[datetime | None] = mapped_column(index=True)

    proposal = relationship("Proposal", back_populates="versions")
    author = relationship("User")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def title(self) -> str:
        """What people call it: "Proposal to Ontario, version 2"."""
        return gettext("%(title)s, version %(number)s", title=self.proposal.title, number=self.number)


@event.listens_for(ProposalVersion, "before_update")
def _refuse_changes_to_published_versions(mapper, connection, target):
    """The last line of defence: services check first, this stops any other code path."""
    state = inspect(target)
    published_before = state.attrs.published_at.history
    was_published = (published_before.deleted and published_before.deleted[0] is not None) or (
        not published_before.has_changes() and target.published_at is not None
    )
    if not was_published:
        return
    changed = [key for key in IMMUTABLE_COLUMNS if state.attrs[key].history.has_changes()]
    if changed:
        raise PublishedVersionError(f"Version {target.number} is published; it cannot change ({', '.join(changed)}).")


ASK_STATUSES = (
    ("none", N_("None")),
    ("under_discussion", N_("Under discussion")),
    ("announced", N_("Announced")),
    ("operating", N_("Operating")),
    ("expanded", N_("Expanded")),
)


@audited
class Ask(db.Model):
    """One of ITPO's three asks; `figure_label` names the number tracked for it, if any."""

    __tablename__ = "asks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    short_title: Mapped[str] = mapped_column(String(60))
    figure_label: Mapped[str | None] = mapped_column(String(80))


@audited
class AskStatus(db.Model):
    """Where one ask stands in one jurisdiction, as of a date. Rows are only added: the newest is current."""

    __tablename__ = "ask_statuses"
    __table_args__ = (
        Index("ix_ask_statuses_ask_id_jurisdiction_id", "ask_id", "jurisdiction_id"),
        CheckConstraint("figure IS NULL OR figure >= 0", name="figure_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    program_name: Mapped[str | None] = mapped_column(String(200))
    figure: Mapped[int | None]
    source_url: Mapped[str | None] = mapped_column(String(500))
    as_of: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())

    ask = relationship("Ask")
    jurisdiction = relationship("Jurisdiction")
    recorded_by = relationship("User")

    @property
    def status_label(self) -> str:
        return dict(ASK_STATUSES).get(self.status, self.status)
