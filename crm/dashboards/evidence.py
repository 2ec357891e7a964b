"""Member evidence: who ITPO's members are, counted in SQL, with every count under 5 withheld."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from crm.dashboards.campaign import Filters
from crm.members.models import LICENSURE_STAGES, MemberProfile
from crm.members.services import SMALL_COUNT, shown_count
from crm.reference.models import ElectoralDistrict

NOT_GIVEN = "Not given"
YEARS_BANDS = ((0, 4, "Under 5 years"), (5, 9, "5 to 9 years"), (10, 14, "10 to 14 years"),
               (15, 19, "15 to 19 years"), (20, None, "20 years or more"))


@dataclass
class EvidenceTable:
    key: str
    title: str
    heading: str  # the first column's name
    rows: list[tuple[str, int]]  # exact counts: never leave the server, only `shown` does

    @property
    def shown(self) -> list[tuple[str, str]]:
        return [(label, shown_count(count)) for label, count in self.rows]

    @property
    def bars(self) -> list[tuple[str, str, int]]:
        """(label, shown count, bar width in %): a withheld count gets no bar, so its size cannot be read off."""
        peak = max((count for _, count in self.rows), default=0)
        return [(label, shown_count(count), round(100 * count / peak) if peak and count >= SMALL_COUNT else 0)
                for label, count in self.rows]


def _scope(filters: Filters, province: str | None) -> list:
    conditions = filters.conditions(MemberProfile.created_at)
    if province:
        conditions.append(MemberProfile.province == province)
    return conditions


def _grouped(session: Session, label, scope: list, *, join=None, missing: str = NOT_GIVEN) -> list[tuple[str, int]]:
    stmt = select(label.label("label"), func.count(MemberProfile.id)).select_from(MemberProfile)
    if join is not None:
        stmt = stmt.outerjoin(*join)
    stmt = stmt.where(*scope).group_by(label)
    stmt = stmt.order_by(func.count(MemberProfile.id).desc(), label)
    return [(value if value not in (None, "") else missing, count) for value, count in session.execute(stmt)]


def member_evidence(session: Session, filters: Filters | None = None, province: str | None = None,
                    today: date | None = None) -> tuple[int, list[EvidenceTable]]:
    """The total and six tables: riding, province, licensure stage, training country, specialty, years since graduation."""
    filters = filters or Filters()
    scope = _scope(filters, province)
    total = session.scalar(select(func.count(MemberProfile.id)).where(*scope)) or 0
    stages = dict(LICENSURE_STAGES)
    stage_rows = [(stages.get(value, value), count) for value, count in
                  _grouped(session, MemberProfile.licensure_stage, scope)]
    year = (today or date.today()).year
    years = year - MemberProfile.graduation_year
    band = case(*[((years >= low) if high is None else years.between(low, high), literal(index))
                  for index, (low, high, _) in enumerate(YEARS_BANDS)], else_=literal(len(YEARS_BANDS)))
    band_labels = [label for _, _, label in YEARS_BANDS] + [NOT_GIVEN]
    band_counts = dict(session.execute(select(band, func.count(MemberProfile.id)).where(*scope).group_by(band)).all())
    years_rows = [(band_labels[index], band_counts[index]) for index in range(len(band_labels)) if band_counts.get(index)]
    tables = [
        EvidenceTable("riding", "Members by riding (Ontario)", "Riding", _grouped(
            session, ElectoralDistrict.name, scope,
            join=(ElectoralDistrict, ElectoralDistrict.id == MemberProfile.district_id),
            missing="No riding (outside Ontario, or not given)")),
        EvidenceTable("province", "Members by province or territory", "Province", _grouped(
            session, MemberProfile.province, scope)),
        EvidenceTable("stage", "Members by licensure stage", "Licensure stage", stage_rows),
        EvidenceTable("country", "Members by country of medical training", "Country", _grouped(
            session, MemberProfile.training_country, scope)),
        EvidenceTable("specialty", "Members by specialty", "Specialty", _grouped(session, MemberProfile.specialty, scope)),
        EvidenceTable("years", "Members by years since graduation", "Years since graduation", years_rows),
    ]
    return total, tables
