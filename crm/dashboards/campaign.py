"""The campaign dashboard: every figure is one aggregate query, whatever the number of letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignReferral, Letter
from crm.campaigns.sharing import referral_sign_ups_query
from crm.lib.i18n import N_
from crm.members.models import MemberProfile
from crm.members.small_counts import shown_count
from crm.outbox.models import OutboundMessage
from crm.reference.models import ElectoralDistrict

# The delivery funnel: each outbox status counted under one stage.
FUNNEL = (
    ("queued", N_("Queued"), ("queued", "sending", "unknown", "deferred")),
    ("accepted", N_("Accepted by the mail service"), ("accepted",)),
    ("delivered", N_("Delivered"), ("delivered",)),
    ("bounced", N_("Bounced"), ("bounced", "dropped")),
    ("failed", N_("Failed"), ("failed", "cancelled")),
)
TOP_RIDINGS = 10


@dataclass
class Filters:
    """Date range (inclusive) for dashboard figures; None means open-ended."""

    start: date | None = None
    end: date | None = None

    def conditions(self, column) -> list:
        result = []
        if self.start:
            result.append(column >= datetime.combine(self.start, time.min))
        if self.end:
            result.append(column < datetime.combine(self.end + timedelta(days=1), time.min))
        return result


@dataclass
class CampaignDashboard:
    campaign: Campaign
    letters: int
    ridings: int
    seats: int
    per_day: list[tuple[date, int]]
    by_party: list[tuple[str, int]]
    by_riding: dict[int, int]  # district id → letters
    districts: list[tuple[int, int, str]]  # (id, number, name) of the campaign's jurisdiction
    funnel: list[tuple[str, str, int]]
    joined: int  # members who signed up through this campaign's page or letter link
    joined_and_wrote: int  # ... and have written in it
    referred: int = 0  # joined through a member's shared link (?ref=CODE) to this campaign (crm.campaigns.sharing)
    filters: Filters = field(default_factory=Filters)

    @property
    def goal_letters(self) -> int | None:
        return self.campaign.goal_letters

    @property
    def goal_ridings(self) -> int | None:
        return self.campaign.goal_ridings

    @property
    def referred_shown(self) -> str:
        """Referral sign-ups as ITPO may show them: "fewer than 5" below five, so no referrer is singled out."""
        return shown_count(self.referred)

    def percent(self, value: int, goal: int | None) -> int | None:
        return min(100, round(100 * value / goal)) if goal else None

    @property
    def riding_rows(self) -> list[tuple[int, str, int]]:
        """(number, name, letters) of every riding, most letters first, then by number."""
        rows = [(number, name, self.by_riding.get(district_id, 0)) for district_id, number, name in self.districts]
        return sorted(rows, key=lambda row: (-row[2], row[0]))

    @property
    def top_ridings(self) -> list[tuple[int, str, int]]:
        return [row for row in self.riding_rows if row[2]][:TOP_RIDINGS]

    @property
    def untouched_ridings(self) -> list[tuple[int, str, int]]:
        return sorted((row for row in self.riding_rows if not row[2]), key=lambda row: row[0])


PARTS = ("totals", "per_day", "by_party", "by_riding", "funnel", "joined")


def _totals(session: Session, scope: list) -> tuple[int, int]:
    counts = select(func.count(Letter.id), func.count(func.distinct(Letter.district_id))).where(*scope)
    return tuple(session.execute(counts).one())


def _per_day(session: Session, scope: list) -> list[tuple[date, int]]:
    day = func.date(Letter.created_at)
    rows = session.execute(select(day, func.count()).where(*scope).group_by(day).order_by(day))
    return [(_as_date(value), count) for value, count in rows]


def _by_party(session: Session, scope: list) -> list[tuple[str, int]]:
    by_count = func.count().desc()
    rows = session.execute(
        select(Letter.party, func.count()).where(*scope).group_by(Letter.party).order_by(by_count, Letter.party)
    )
    return [(party or N_("No party"), count) for party, count in rows]


def _by_riding(session: Session, scope: list, campaign: Campaign) -> tuple[dict[int, int], list[tuple]]:
    """Letters per district, and every district of the campaign's jurisdiction (the map shows them all)."""
    by_riding = dict(
        session.execute(
            select(Letter.district_id, func.count())
            .where(*scope, Letter.district_id.is_not(None))
            .group_by(Letter.district_id)
        ).all()
    )
    districts = [
        tuple(row)
        for row in session.execute(
            select(ElectoralDistrict.id, ElectoralDistrict.number, ElectoralDistrict.name)
            .where(ElectoralDistrict.jurisdiction_id == campaign.jurisdiction_id)
            .order_by(ElectoralDistrict.number)
        )
    ]
    return by_riding, districts


def _funnel(session: Session, scope: list) -> list[tuple[str, str, int]]:
    """Letters per delivery stage; a daily-digest letter has no message until its digest is built: queued."""
    status = func.coalesce(OutboundMessage.status, "queued")
    statuses = dict(
        session.execute(
            select(status, func.count())
            .select_from(Letter)
            .outerjoin(OutboundMessage, Letter.message_id == OutboundMessage.id)
            .where(*scope, or_(Letter.message_id.is_not(None), Letter.for_digest))
            .group_by(status)
        ).all()
    )
    return [(key, label, sum(statuses.get(status, 0) for status in members)) for key, label, members in FUNNEL]


def campaign_dashboard(
    session: Session, campaign: Campaign, filters: Filters | None = None, parts: tuple[str, ...] = PARTS
) -> CampaignDashboard:
    """Progress, letters per day, by party, by riding, the delivery funnel, sign-ups: seven aggregate queries.

    `parts` limits the work to what is needed (a download needs one table, not the whole page).
    """
    filters = filters or Filters()
    scope = [Letter.campaign_id == campaign.id, *filters.conditions(Letter.created_at)]
    letters, ridings = _totals(session, scope) if "totals" in parts else (0, 0)
    per_day = _per_day(session, scope) if "per_day" in parts else []
    by_party = _by_party(session, scope) if "by_party" in parts else []
    by_riding, districts = _by_riding(session, scope, campaign) if "by_riding" in parts else ({}, [])
    funnel = _funnel(session, scope) if "funnel" in parts else []
    joined, joined_and_wrote, referred = joined_through(session, campaign, filters) if "joined" in parts else (0, 0, 0)
    return CampaignDashboard(
        campaign=campaign,
        letters=letters or 0,
        ridings=ridings or 0,
        seats=campaign.jurisdiction.seats,
        per_day=per_day,
        by_party=by_party,
        by_riding=by_riding,
        districts=districts,
        funnel=funnel,
        joined=joined,
        joined_and_wrote=joined_and_wrote,
        referred=referred,
        filters=filters,
    )


def joined_through(session: Session, campaign: Campaign, filters: Filters) -> tuple[int, int, int]:
    """(members who joined through the campaign within the dates, how many of them have written in it, how many
    joined through a member's shared link to it), in one query.

    Recorded at sign-up (crm.campaigns.sign_ups, crm.campaigns.sharing); dates apply to the day they joined.
    """
    wrote = and_(Letter.user_id == MemberProfile.user_id, Letter.campaign_id == campaign.id)
    referred = referral_sign_ups_query(campaign.id, filters.conditions(CampaignReferral.created_at))
    joined, wrote_count, referred_count = session.execute(
        select(
            func.count(func.distinct(MemberProfile.id)),
            func.count(func.distinct(Letter.user_id)),
            referred.scalar_subquery(),
        )
        .select_from(MemberProfile)
        .outerjoin(Letter, wrote)
        .where(MemberProfile.joined_via_campaign_id == campaign.id, *filters.conditions(MemberProfile.created_at))
    ).one()
    return joined or 0, wrote_count or 0, referred_count or 0


def _as_date(value) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
