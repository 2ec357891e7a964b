"""Member profiles and consent records (CASL evidence)."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

LICENSURE_STAGES = (
    ("exams", _l("Preparing for exams (MCCQE, NAC)")),
    ("carms", _l("CaRMS applicant")),
    ("pra", _l("PRA candidate")),
    ("residency", _l("In residency")),
    ("licensed", _l("Licensed in Canada")),
    ("clinical_assistant", _l("Clinical assistant / physician assistant role")),
    ("other", _l("Other")),
)


class MemberProfile(db.Model):
    """What a member tells ITPO about themselves; one per user."""

    __tablename__ = "member_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    postal_code: Mapped[str | None] = mapped_column(String(7))
    province: Mapped[str | None] = mapped_column(String(2))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("electoral_districts.id", ondelete="SET NULL"), index=True
    )
    licensure_stage: Mapped[str | None] = mapped_column(String(30))
    training_country: Mapped[str | None] = mapped_column(String(80))
    specialty: Mapped[str | None] = mapped_column(String(80))
    graduation_year: Mapped[int | None]
    # Optional, for the constituent signature on letters only: never shown to leads or in exports
    # for them.
    street_address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    # The campaign whose page the member joined from: set by the campaigns package (through the
    # member_joined signal), which only accepts a live campaign. Referenced by table name, never
    # imported.
    joined_via_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user = relationship("User", backref=db.backref("profile", uselist=False, cascade="all, delete-orphan"))
    district = relationship("ElectoralDistrict")


class ConsentRecord(db.Model):
    """One answer to one consent question, with the wording shown: CASL evidence. Never updated."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool]
    wording: Mapped[str] = mapped_column(String(500))
    wording_version: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
