"""Member evidence: who ITPO's members are, counted in SQL, with small counts protected (crm.members.small_counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Letter
from crm.dashboards.campaign import Filters
from crm.lib.i18n import N_
from crm.members.models import LICENSURE_STAGES, MemberProfile
from crm.members.small_counts import SMALL_COUNT, Cell, protect
from crm.reference.models import ElectoralDistrict

NOT_GIVEN = N_("Not given")
YEARS_BANDS = (
    (0, 4, N_("Under 5 years")),
    (5, 9, N_("5 to 9 years")),
    (10, 14, N_("10 to 14 years")),
    (15, 19, N_("15 to 19 years")),
    (20, None, N_("20 years or more")),
)


WITHHELD_TABLE = "Withheld: shown, these figures could single out a member."
FEW_MEMBERS = "Fewer than 5 members match: nothing more is shown."
# Each table's title and first column's name, by key.
TITLES = {
    "riding": (N_("Members by riding (Ontario)"), N_("Riding")),
    "province": (N_("Members by province or territory"), N_("Province")),
    "stage": (N_("Members by licensure stage"), N_("Licensure stage")),
    "country": (N_("Members by country of medical training"), N_("Country")),
    "specialty": (N_("Members by specialty"), N_("Specialty")),
    "years": (N_("Members by years since graduation"), N_("Years since graduation")),
}
CAMPAIGN_SCOPES = (("wrote", N_("wrote a letter in it")), ("joined", N_("joined ITPO through it")))


@dataclass
class EvidenceTable:
    key: str
    title: str
    heading: str  # the first column's name
    rows: list[tuple[str, int]]  # exact counts: never leave the server, only `cells` do

    @cached_property
    def cells(self) -> list[Cell] | None:
        """The rows as they may be shown; None when the whole table is withheld."""
        return protect(self.rows)

    @property
    def shown(self) -> list[tuple[str, str]]:
        """(label, count as shown), for downloads: exactly what the page shows."""
        if self.cells is None:
            few = sum(count for _, count in self.rows) < SMALL_COUNT
            return [(FEW_MEMBERS if few else WITHHELD_TABLE, "")] if self.rows else []
        return [(cell.label, cell.text) for cell in self.cells]

    @property
    def bars(self) -> list[tuple[str, str, int]]:
        """(label, shown count, bar width in %): a withheld count gets no bar, so its size cannot be read off."""
        peak = max((cell.count for cell in self.cells or [] if cell.count), default=0)
        return [
            (cell.label, cell.text, round(100 * cell.count / peak) if peak and cell.count else 0)
            for cell in self.cells or []
        ]


@dataclass(frozen=True)
class CampaignScope:
    """Only the members who wrote in a campaign, or who joined through it."""

    campaign_id: int
    how: str = "wrote"

    def condition(self):
        if self.how == "joined":
            return MemberProfile.joined_via_campaign_id == self.campaign_id
        return MemberProfile.user_id.in_(select(Letter.user_id).where(Letter.campaign_id == self.campaign_id))


def _scope(filters: Filters, province: str | None, campaign: CampaignScope | None = None) -> list:
    conditions = filters.conditions(MemberProfile.created_at)
    if province:
        conditions.append(MemberProfile.province == province)
    if campaign:
        conditions.append(campaign.condition())
    return conditions


def _grouped(session: Session, label, scope: list, *, join=None, missing: str = NOT_GIVEN) -> list[tuple[str, int]]:
    stmt = select(label.label("label"), func.count(MemberProfile.id)).select_from(MemberProfile)
    if join is not None:
        stmt = stmt.outerjoin(*join)
    stmt = stmt.where(*scope).group_by(label)
    stmt = stmt.order_by(func.count(MemberProfile.id).desc(), label)
    return [(value if value not in (None, "") else missing, count) for value, count in session.execute(stmt)]


def member_evidence(
    session: Session,
    filters: Filters | None = None,
    province: str | None = None,
    today: date | None = None,
    campaign: CampaignScope | None = None,
) -> tuple[int, list[EvidenceTable]]:
    """The total and six tables: riding, province, licensure stage, training country, specialty, years since graduation.

    Seven aggregate queries whatever the filters and the number of members.
    """
    filters = filters or Filters()
    scope = _scope(filters, province, campaign)
    total = session.scalar(select(func.count(MemberProfile.id)).where(*scope)) or 0
    stages = {code: str(label) for code, label in LICENSURE_STAGES}
    stage_rows = [
        (stages.get(value, value), count) for value, count in _grouped(session, MemberProfile.licensure_stage, scope)
    ]
    year = (today or date.today()).year
    years = year - MemberProfile.graduation_year
    band = case(
        *[
            ((years >= low) if high is None else years.between(low, high), literal(index))
            for index, (low, high, _) in enumerate(YEARS_BANDS)
        ],
        else_=literal(len(YEARS_BANDS)),
    )
    band_labels = [label for _, _, label in YEARS_BANDS] + [NOT_GIVEN]
    band_counts = dict(session.execute(select(band, func.count(MemberProfile.id)).where(*scope).group_by(band)).all())
    years_rows = [
        (band_labels[index], band_counts[index]) for index in range(len(band_labels)) if band_counts.get(index)
    ]
    grouped = partial(_grouped, session, scope=scope)
    tables = [
        EvidenceTable(
            "riding",
            *TITLES["riding"],
            grouped(
                ElectoralDistrict.name,
                join=(ElectoralDistrict, ElectoralDistrict.id == MemberProfile.district_id),
                missing=N_("No riding (outside Ontario, or not given)"),
            ),
        ),
        EvidenceTable("province", *TITLES["province"], grouped(MemberProfile.province)),
        EvidenceTable("stage", *TITLES["stage"], stage_rows),
        EvidenceTable("country", *TITLES["country"], grouped(MemberProfile.training_country)),
        EvidenceTable("specialty", *TITLES["specialty"], grouped(MemberProfile.specialty)),
        EvidenceTable("years", *TITLES["years"], years_rows),
    ]
    return total, tables
