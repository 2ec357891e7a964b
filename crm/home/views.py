"""Front page and home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from crm.campaigns.models import Campaign, Letter
from crm.extensions import db
from crm.interactions import follow_ups
from crm.members.models import LICENSURE_STAGES
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.reference.names import member_title
from crm.stakeholders.models import ElectedOffice, Person

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home/index.html")


@dataclass(frozen=True)
class CampaignCall:
    """A live campaign on the home page: where its button goes and what it says."""

    campaign: Campaign
    url: str
    label: str


def _call(campaign: Campaign, district) -> CampaignCall:
    """Straight to the letter to the member's own representative when their riding is in the campaign's
    jurisdiction; otherwise to the campaign's first step (choose the recipient)."""
    if campaign.kind == "own_representative" and district is not None:
        if district.jurisdiction_id == campaign.jurisdiction_id:
            url = url_for("campaigns.write", slug=campaign.slug, recipient=f"district-{district.id}")
            return CampaignCall(
                campaign,
                url,
                gettext("Write to your %(title)s", title=member_title(campaign.jurisdiction.member_title)),
            )
    label = (
        gettext("Write your letter")
        if campaign.kind == "fixed_targets"
        else gettext("Find your representative and write")
    )
    return CampaignCall(campaign, url_for("campaigns.write", slug=campaign.slug), label)


def live_campaigns_for(user_id: int, district, today: date) -> tuple[list[CampaignCall], list[Campaign]]:
    """The campaigns open today, split into those the member has not written in (with their call) and those they
    have; one query, however many campaigns."""
    wrote = exists().where(Letter.campaign_id == Campaign.id, Letter.user_id == user_id)
    rows = db.session.execute(
        select(Campaign, wrote)
        .options(joinedload(Campaign.jurisdiction))
        .where(
            Campaign.status == "live",
            or_(Campaign.starts_on.is_(None), Campaign.starts_on <= today),
            or_(Campaign.ends_on.is_(None), Campaign.ends_on >= today),
        )
        .order_by(Campaign.ends_on.is_(None), Campaign.ends_on, Campaign.created_at.desc(), Campaign.id.desc())
        .limit(50)
    ).all()
    to_write = [_call(campaign, district) for campaign, written in rows if not written]
    return to_write, [campaign for campaign, written in rows if written]


@bp.route("/home")
def home():
    """What a logged-in person sees first: the live campaigns they have not written in yet, then their profile
    and representative, or the staff overview."""
    profile = getattr(current_user, "profile", None)
    district = profile.district if profile is not None and profile.district_id else None
    to_write, written = live_campaigns_for(current_user.id, district, date.today())
    representative = None
    if profile is not None and profile.district_id:
        representative = db.session.execute(
            select(Person, ElectedOffice)
            .join(ElectedOffice, ElectedOffice.person_id == Person.id)
            .where(ElectedOffice.district_id == profile.district_id, ElectedOffice.current.is_(True))
        ).first()
    return render_template(
        "home/home.html",
        profile=profile,
        representative=representative,
        stages=dict(LICENSURE_STAGES),
        to_write=to_write,
        written=written,
        **(_staff_panels(date.today()) if current_user.is_staff else {"counts": None}),
    )


WEEK = timedelta(days=7)


def _staff_panels(today: date) -> dict:
    """The staff home's panels: my open follow-ups (overdue first), the last seven days' meetings, and the
    reference data's size; a fixed number of queries."""
    counts = {
        "jurisdictions": db.session.scalar(select(func.count()).select_from(Jurisdiction)),
        "districts": db.session.scalar(select(func.count()).select_from(ElectoralDistrict)),
        "representatives": db.session.scalar(
            select(func.count()).select_from(ElectedOffice).where(ElectedOffice.current.is_(True))
        ),
    }
    mine = follow_ups.my_open_follow_ups(db.session, current_user.id, limit=follow_ups.SHOWN + 1)
    since = datetime.combine(today - WEEK + timedelta(days=1), time.min)
    meetings = follow_ups.meetings_since(db.session, since, limit=follow_ups.SHOWN + 1)
    return {
        "counts": counts,
        "today": today,
        "my_follow_ups": mine[: follow_ups.SHOWN],
        "more_follow_ups": len(mine) > follow_ups.SHOWN,
        "week_meetings": meetings[: follow_ups.SHOWN],
        "more_meetings": len(meetings) > follow_ups.SHOWN,
    }
