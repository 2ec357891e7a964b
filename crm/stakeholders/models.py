"""Organizations, people, their contact points and elected offices."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

ORGANIZATION_KINDS = (
    ("regulator", "Regulator"),
    ("certification_body", "Certification body"),
    ("assessment_program", "Practice-ready assessment program"),
    ("government_ministry", "Government ministry"),
    ("legislature", "Legislature"),
    ("health_system", "Health system"),
    ("academic", "Academic"),
    ("ally", "Ally"),
    ("media", "Media"),
    ("other", "Other"),
)


class Organization(db.Model):
    """A regulator, certification body, ministry, legislature, ally…"""

    __tablename__ = "organizations"

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


class Person(db.Model):
    """Anyone ITPO deals with: an MPP, a registrar, a ministry official, a journalist."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(160), index=True)
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


class ContactPoint(db.Model):
    """One email address or phone number of a person, with a label."""

    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # email, phone
    label: Mapped[str] = mapped_column(String(40), default="work")
    value: Mapped[str] = mapped_column(String(254), index=True)

    person = relationship("Person", back_populates="contacts")


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

    person = relationship("Person", back_populates="offices")
    jurisdiction = relationship("Jurisdiction")
    district = relationship("ElectoralDistrict")

    @property
    def mail_address(self) -> str | None:
        """Where a letter may go; never a guessed address for an uncertain seat."""
        if self.contact_uncertain:
            return None
        return self.legislature_email or self.constituency_email
