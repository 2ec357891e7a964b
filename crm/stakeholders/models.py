"""Organizations, people, their contact points, elected offices, tags and stances on the three asks."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.audit.services import audited
from crm.auth.models import User
from crm.extensions import db, only_on
from crm.lib.i18n import N_
from crm.lib.sql import fold

# ITPO's three asks, which every stance refers to.
ASKS = (
    ("pra", N_("A Practice-Ready Assessment program in every province")),
    ("residency", N_("More residency positions")),
    ("clinical_assistant", N_("An official clinical assistant position")),
)
ASK_SHORT = {"pra": N_("PRA"), "residency": N_("Residency"), "clinical_assistant": N_("Clinical assistant")}
POSITIONS = (
    ("supportive", N_("Supportive")),
    ("neutral", N_("Neutral")),
    ("opposed", N_("Opposed")),
    ("unknown", N_("Unknown")),
)

ORGANIZATION_KINDS = (
    ("regulator", N_("Regulator")),
    ("certification_body", N_("Certification body")),
    ("assessment_program", N_("Practice-ready assessment program")),
    ("government_ministry", N_("Government ministry")),
    ("legislature", N_("Legislature")),
    ("health_system", N_("Health system")),
    ("academic", N_("Academic")),
    ("ally", N_("Ally")),
    ("media", N_("Media")),
    ("other", N_("Other")),
)


class DirectoryRevision(db.Model):
    """One row, counted up by triggers (migrations 0019, 0021) on every write to what an import or a roster
    refresh reads: people, contact points, tags and their links, organizations, jurisdictions, elected offices,
    electoral districts. A preview notes it; the apply locks it and applies only if it has not moved
    (`imports.apply_saved_plan`, `roster.apply_previewed`)."""

    __tablename__ = "directory_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# New rows wait in a GIN index's pending list, which every search reads in full until (auto)vacuum
# merges it; a short list (256 kB, not the default 4 MB) keeps a search after a large import fast,
# for slightly slower inserts.
TRIGRAM_PENDING_LIST_KB = 256


def _trigram_index(table: str, column: str) -> Index:
    """A PostgreSQL trigram index (pg_trgm, migration 0010), which serves the directory search's
    `ILIKE '%text%'`. SQLite has none: its LIKE reads the table, which is fast enough there."""
    return only_on(
        "postgresql",
        Index(
            f"ix_{table}_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": TRIGRAM_PENDING_LIST_KB},
        ),
    )


def _folded_trigram_index(table: str, column: str) -> Index:
    """A PostgreSQL trigram index of `fold_text(column)` (migration 0023), which serves `contains_folded`: a
    search that ignores case and accents."""
    folded = f"{column}_folded"
    return only_on(
        "postgresql",
        Index(
            f"ix_{table}_{folded}_trgm",
            func.fold_text(text(column)).label(folded),
            postgresql_using="gin",
            postgresql_ops={folded: "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": TRIGRAM_PENDING_LIST_KB},
        ),
    )


person_tags = Table(
    "person_tags",
    db.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    """A free label on people (e.g. "ally", "health committee"), stored lower-case."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


@audited
class Organization(db.Model):
    """A regulator, certification body, ministry, legislature, ally…"""

    __tablename__ = "organizations"
    __table_args__ = (
        _folded_trigram_index("organizations", "name"),
        _folded_trigram_index("organizations", "acronym"),
        # The list's name order on PostgreSQL (0023), read in index order instead of folding and
        # sorting every organization's name for each page.
        only_on("postgresql", Index("ix_organizations_name_folded", func.fold_text(text("name")), "id")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    acronym: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30), default="other")
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    website: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    jurisdiction = relationship("Jurisdiction")
    stances = relationship("Stance", back_populates="organization", order_by="Stance.as_of.desc(), Stance.id.desc()")


def looks_like_phone(value: str) -> bool:
    """A phone number's shape, for the person form and the import alike: at most 40 characters, with digits."""
    return len(value) <= 40 and any(ch.isdigit() for ch in value)


@audited
class Person(db.Model):
    """Anyone ITPO deals with: an MPP, a registrar, a ministry official, a journalist."""

    __tablename__ = "people"
    __table_args__ = (
        _trigram_index("people", "search_name"),
        # Probable duplicates: the same name within one organization, found by lookup.
        Index("ix_people_organization_lower_name", "organization_id", func.lower(text("full_name"))),
        # The list's name order, ignoring case (migration 0022), read in index order a page at a time.
        Index("ix_people_search_name", "search_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(160))
    # The name folded by the database (`crm.lib.sql.fold`: lower case; on PostgreSQL also without
    # accents, migration 0023), for searches and the name order: matched with LIKE through its
    # trigram index, so that a broad search does not fold each of its matches again, and sorted on
    # (migration 0022: "de Souza" and "Émile" sort among the Ds and Es). Stored on PostgreSQL (a
    # virtual column, PostgreSQL 18's default, could not be indexed); virtual on SQLite, which
    # searches its own trigram tables (0018). Never read into Python, nor audited. (TEXT on
    # PostgreSQL, 0023: unaccent lengthens some letters, ß → ss.)
    search_name: Mapped[str] = mapped_column(
        String(160).with_variant(Text(), "postgresql"), Computed(fold(text("full_name")), persisted=True), deferred=True
    )
    title: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    organization = relationship("Organization")
    jurisdiction = relationship("Jurisdiction")
    contacts = relationship("ContactPoint", back_populates="person", cascade="all, delete-orphan")
    offices = relationship("ElectedOffice", back_populates="person")
    tags = relationship("Tag", secondary=person_tags, order_by="Tag.name")
    stances = relationship("Stance", back_populates="person", order_by="Stance.as_of.desc(), Stance.id.desc()")

    def emails(self) -> list["ContactPoint"]:
        return [c for c in self.contacts if c.kind == "email"]

    def phones(self) -> list["ContactPoint"]:
        return [c for c in self.contacts if c.kind == "phone"]

    def current_offices(self) -> list["ElectedOffice"]:
        return [o for o in self.offices if o.current]


@audited
class ContactPoint(db.Model):
    """One email address or phone number of a person, with a label."""

    __tablename__ = "contact_points"
    __table_args__ = (_trigram_index("contact_points", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # email, phone
    label: Mapped[str] = mapped_column(String(40), default="work")
    value: Mapped[str] = mapped_column(String(254), index=True)

    person = relationship("Person", back_populates="contacts")


@audited
class ElectedOffice(db.Model):
    """A person's seat for a district. A district with no current office is vacant."""

    __tablename__ = "elected_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_districts.id"), index=True)
    party: Mapped[str | None] = mapped_column(String(80))
    legislature_email: Mapped[str | None] = mapped_column(String(254))
    constituency_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    profile_url: Mapped[str | None] = mapped_column(String(300))
    roles: Mapped[str | None] = mapped_column(Text)
    contact_uncertain: Mapped[bool] = mapped_column(default=False)
    current: Mapped[bool] = mapped_column(default=True, index=True)
    from_date: Mapped[date | None]
    to_date: Mapped[date | None]
    # Where the seat's details came from (migration 0040): "represent" (Open North's Represent
    # API) or "demo"; NULL for the shipped roster and hand entry. Then Represent's source page,
    # photo, offices (JSON) and the time they were fetched.
    source: Mapped[str | None] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(String(300))
    photo_url: Mapped[str | None] = mapped_column(String(300))
    offices_json: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None]
    # The office prefers French (0041): members who write in French send French letters by default.
    prefers_french: Mapped[bool] = mapped_column(default=False, server_default=false())

    person = relationship("Person", back_populates="offices")
    jurisdiction = relationship("Jurisdiction")
    district = relationship("ElectoralDistrict")

    @property
    def mail_address(self) -> str | None:
        """Where a letter may go; never a guessed address for an uncertain seat."""
        if self.contact_uncertain:
            return None
        return self.legislature_email or self.constituency_email


def current_stances(stances) -> dict[str, "Stance"]:
    """The newest stance per ask, from stances already ordered newest first."""
    newest: dict[str, Stance] = {}
    for stance in stances:
        newest.setdefault(stance.ask, stance)
    return newest


@audited
class Stance(db.Model):
    """A person's or an organization's position on one ask, as of a date. History is kept: never edited."""

    __tablename__ = "stances"
    __table_args__ = (CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    ask: Mapped[str] = mapped_column(String(30))
    position: Mapped[str] = mapped_column(String(12))
    as_of: Mapped[date]
    source: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    person = relationship("Person", back_populates="stances")
    organization = relationship("Organization", back_populates="stances")

    created_by = relationship(User, foreign_keys=[created_by_id], lazy="joined")  # shown in every history

    @property
    def ask_label(self) -> str:
        return ASK_SHORT.get(self.ask, self.ask)

    @property
    def position_label(self) -> str:
        return dict(POSITIONS).get(self.position, self.position)
