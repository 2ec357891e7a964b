"""Jurisdictions, electoral districts and the offline postal-area table."""

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db


class Jurisdiction(db.Model):
    """A province, territory, or the federal level (code CA)."""

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))  # province, territory, federal
    ocd_id: Mapped[str] = mapped_column(String(120))
    legislature_name: Mapped[str] = mapped_column(String(120))
    member_title: Mapped[str] = mapped_column(String(10))
    seats: Mapped[int]


class ElectoralDistrict(db.Model):
    """A riding: Ontario's 124 ship with the product."""

    __tablename__ = "electoral_districts"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    ocd_id: Mapped[str] = mapped_column(String(120), unique=True)

    jurisdiction = relationship("Jurisdiction")


class PostalArea(db.Model):
    """Share of an FSA's sampled addresses that fall in one district."""

    __tablename__ = "postal_areas"
    __table_args__ = (UniqueConstraint("fsa", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fsa: Mapped[str] = mapped_column(String(3), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("electoral_districts.id"), index=True)
    share: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    rank: Mapped[int]

    district = relationship("ElectoralDistrict")
