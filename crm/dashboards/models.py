"""The committee dashboard's daily counts of interactions, kept up to date from the interaction log.
How they stay current: docs/design-notes.md, "dashboards/models.py"."""

from datetime import date

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db

# A dirty "day" meaning every day: recount the whole log.
EVERY_DAY = date(1900, 1, 1)


class ActivityDay(db.Model):
    """Interactions on one day of one kind in one jurisdiction (archived ones left out), and how many carried
    each campaign hashtag."""

    __tablename__ = "activity_days"
    __table_args__ = (Index("ix_activity_days_day", "day", "kind", "jurisdiction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    jurisdiction_id: Mapped[int | None]
    interactions: Mapped[int]
    mppchats: Mapped[int]
    skillstohelp: Mapped[int]


class StakeholderKindDay(db.Model):
    """Interactions on one day with a stakeholder of one kind of organization (a person counts as their
    organization's kind; None: no organization recorded). One interaction counts once per kind."""

    __tablename__ = "stakeholder_kind_days"
    __table_args__ = (Index("ix_stakeholder_kind_days_day", "day", "organization_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    organization_kind: Mapped[str | None] = mapped_column(String(30))
    interactions: Mapped[int]


class ActivityDirtyDay(db.Model):
    """A day whose counts must be recounted before they are read (written by triggers)."""

    __tablename__ = "activity_dirty_days"

    day: Mapped[date] = mapped_column(primary_key=True)
