"""Dashboard pages and their downloads; thin: parse filters, call the aggregations, render."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.access import allowed
from crm.campaigns.models import Campaign
from crm.dashboards import committee, riding_map
from crm.dashboards.campaign import PARTS, Filters, campaign_dashboard
from crm.dashboards.evidence import CAMPAIGN_SCOPES, CampaignScope, member_evidence
from crm.dashboards.exports import FORMATS, export_table
from crm.extensions import db
from crm.lib.i18n import N_
from crm.members.small_counts import shown_count
from crm.programs.reach import program_reach
from crm.reference.models import Jurisdiction

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")
_PROVINCE_RE = re.compile(r"^[A-Z]{2}$")


def parse_filters(args) -> tuple[Filters, list[str]]:
    """Date range from `start`/`end` (YYYY-MM-DD); a bad value is reported and ignored, never a 500."""
    problems, values = [], {}
    bad_date = {
        "start": N_("“From” must be a date like 2026-03-31; it was ignored."),
        "end": N_("“To” must be a date like 2026-03-31; it was ignored."),
    }
    for name in ("start", "end"):
        raw = (args.get(name) or "").strip()
        if not raw:
            values[name] = None
            continue
        try:
            values[name] = date.fromisoformat(raw)
        except ValueError:
            values[name] = None
            problems.append(gettext(bad_date[name]))
    if values["start"] and values["end"] and values["end"] < values["start"]:
        problems.append(gettext("The “To” date is before the “From” date; both were ignored."))
        values = {"start": None, "end": None}
    return Filters(**values), problems


def _province(args, problems: list[str]) -> str | None:
    raw = (args.get("province") or "").strip().upper()
    if not raw:
        return None
    if _PROVINCE_RE.match(raw) and db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == raw)):
        return raw
    problems.append(gettext("Choose a province or territory from the list; the jurisdiction filter was ignored."))
    return None


def _download(columns, rows, fmt: str, filename: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    data = export_table(columns, rows, fmt, sheet=filename)
    return Response(
        data, mimetype=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    )


@bp.route("/")
def index():
    campaigns = []
    if allowed("dashboards.campaign", current_user):
        campaigns = list(
            db.session.scalars(
                select(Campaign)
                .options(joinedload(Campaign.jurisdiction))
                .order_by(Campaign.created_at.desc(), Campaign.id.desc())
            )
        )
    return render_template("dashboards/index.html", campaigns=campaigns)


# --- campaign dashboard ---------------------------------------------------------------------------


def _campaign_tables(dashboard) -> dict[str, tuple[str, list[str], list]]:
    """Every table on the page, by key: (title, columns, rows). The page and the downloads share it."""
    return {
        "per-day": ("Letters per day", ["Date", "Letters"], [(day.isoformat(), n) for day, n in dashboard.per_day]),
        "by-party": ("Letters by party", ["Party", "Letters"], dashboard.by_party),
        "by-riding": ("Letters by riding", ["Number", "Riding", "Letters"], dashboard.riding_rows),
        "funnel": ("Delivery", ["Stage", "Letters"], [(label, n) for _, label, n in dashboard.funnel]),
    }


# What each download needs computed: one table, never the whole page.
_TABLE_PARTS = {"per-day": ("per_day",), "by-party": ("by_party",), "by-riding": ("by_riding",), "funnel": ("funnel",)}


def _load_campaign(campaign_id: int, parts: tuple[str, ...] = PARTS):
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).options(joinedload(Campaign.jurisdiction))
    )
    if campaign is None:
        abort(404)
    filters, problems = parse_filters(request.args)
    return campaign, campaign_dashboard(db.session, campaign, filters, parts), problems


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id):
    campaign, dashboard, problems = _load_campaign(campaign_id)
    names = {district_id: name for district_id, _, name in dashboard.districts}
    counts_by_name = {names[d]: n for d, n in dashboard.by_riding.items() if d in names}
    return render_template(
        "dashboards/campaign.html",
        campaign=campaign,
        d=dashboard,
        problems=problems,
        map=riding_map.map_data(counts_by_name)
        if campaign.jurisdiction.code in riding_map.SHIPPED_BOUNDARIES
        else None,
        tables=_campaign_tables(dashboard),
    )


@bp.route("/campaigns/<int:campaign_id>/<table>.<fmt>")
def campaign_export(campaign_id, table, fmt):
    if table not in _TABLE_PARTS or fmt not in FORMATS:
        abort(404)
    campaign, dashboard, _ = _load_campaign(campaign_id, _TABLE_PARTS[table])
    _, columns, rows = _campaign_tables(dashboard)[table]
    return _download(columns, rows, fmt, f"{campaign.slug}-{table}")


# --- committee dashboard
# ----------------------------------------------------------------------------


def _committee():
    problems: list[str] = []
    choices = committee.jurisdictions_with_seats(db.session)
    raw = (request.args.get("jurisdiction") or "ON").strip().upper()
    chosen = next((c for c in choices if c[1] == raw), None)
    if chosen is None and choices:
        if request.args.get("jurisdiction"):
            problems.append(gettext("Choose a legislature from the list; showing the first one."))
        chosen = next((c for c in choices if c[1] == "ON"), choices[0])
    stances = committee.stances_by_party(db.session, chosen[0]) if chosen else None
    statuses, summary = committee.scoreboard_summary(db.session)
    return choices, chosen, problems, stances, statuses, summary


def _period() -> tuple[Filters, list[str], date, date]:
    """The chosen dates (the last twelve months by default)."""
    filters, problems = parse_filters(request.args)
    today = date.today()
    return filters, problems, filters.start or today.replace(day=1) - timedelta(days=335), filters.end or today


def _activity():
    """The committee's work over the chosen dates."""
    filters, problems, start, end = _period()
    activity = committee.activity(db.session, start, end, date.today())
    db.session.commit()  # keep the daily counts it recounted, if any
    return filters, problems, (start, end), activity


ACTIVITY_TABLES = ("activity", "hashtags", "follow_ups", "stakeholder_kinds", "jurisdictions")


def _activity_tables(activity) -> dict[str, tuple[list[str], list, str]]:
    """The committee's work as downloads, by key: (columns, rows, file name)."""
    return {
        "activity": (
            ["Month", *[label for _, label in activity.kinds], "Total"],
            activity.month_rows(),
            "interactions-by-month",
        ),
        "hashtags": (["Month", *activity.hashtags], activity.hashtag_rows(), "hashtags-by-month"),
        "follow_ups": (["Assignee", "Due within 7 days", "Overdue"], activity.follow_ups, "follow-ups"),
        "stakeholder_kinds": (
            ["Stakeholder kind", "Interactions"],
            activity.by_stakeholder_kind,
            "interactions-by-stakeholder-kind",
        ),
        "jurisdictions": (["Jurisdiction", "Interactions"], activity.by_jurisdiction, "interactions-by-jurisdiction"),
    }


PROGRAM_COLUMNS = ["Program", "Events held", "Registrations", "Attendees", "Attendance rate (%)", "Members reached"]


def _program_rows(reach: list[dict]) -> list[tuple]:
    return [
        (
            p["name"],
            p["events_held"],
            p["registrations"],
            p["attendees"],
            p["attendance_rate"] if p["attendance_rate"] is not None else "not shown (fewer than 5)",
            p["members_reached"],
        )
        for p in reach
    ]


@bp.route("/committee")
def committee_view():
    choices, chosen, problems, stances, statuses, summary = _committee()
    filters, date_problems, (start, end), activity = _activity()
    return render_template(
        "dashboards/committee.html",
        choices=choices,
        chosen=chosen,
        problems=problems + date_problems,
        stances=stances,
        statuses=statuses,
        summary=summary,
        filters=filters,
        activity=activity,
        period=(start, end),
        reach=program_reach(db.session, start=start, end=end),
    )


@bp.route("/committee/<table>.<fmt>")
def committee_export(table, fmt):
    if table == "programs":
        _, _, start, end = _period()
        return _download(
            PROGRAM_COLUMNS,
            _program_rows(program_reach(db.session, start=start, end=end)),
            fmt,
            f"program-reach-{start}-to-{end}",
        )
    if table in ACTIVITY_TABLES:
        *_, activity = _activity()
        columns, rows, filename = _activity_tables(activity)[table]
        return _download(columns, rows, fmt, filename)
    _, chosen, _, stances, statuses, summary = _committee()
    if table == "stances" and stances is not None:
        columns = ["Party", "Seats", "Ask", *[label for _, label in stances.positions]]
        return _download(columns, stances.flat(), fmt, f"stances-{chosen[1].lower()}")
    if table == "scoreboard":
        return _download(
            ["Ask", *[label for _, label in statuses]],
            [(ask, *counts) for ask, counts in summary],
            fmt,
            "asks-scoreboard",
        )
    abort(404)


# --- member evidence ------------------------------------------------------------------------------


def _campaign_scope(args, campaigns, problems: list[str]) -> CampaignScope | None:
    """`campaign` (an id from the list) and `how` (wrote / joined); anything else is reported and ignored."""
    raw = (args.get("campaign") or "").strip()
    if not raw:
        return None
    known = {str(campaign_id) for campaign_id, _, _ in campaigns}
    if raw not in known:
        problems.append(gettext("Choose a campaign from the list; the campaign filter was ignored."))
        return None
    how = args.get("how") or "wrote"
    if how not in dict(CAMPAIGN_SCOPES):
        problems.append(gettext("Choose who to count: members who wrote in the campaign, or who joined through it."))
        how = "wrote"
    return CampaignScope(int(raw), how)


def _evidence():
    filters, problems = parse_filters(request.args)
    province = _province(request.args, problems)
    campaigns = list(
        db.session.execute(
            select(Campaign.id, Campaign.name, Campaign.status)
            .where(Campaign.status != "draft")
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )
    campaign = _campaign_scope(request.args, campaigns, problems)
    total, tables = member_evidence(db.session, filters, province, campaign=campaign)
    return filters, province, campaign, campaigns, problems, total, tables


@bp.route("/members")
def evidence():
    filters, province, campaign, campaigns, problems, total, tables = _evidence()
    provinces = list(
        db.session.execute(
            select(Jurisdiction.code, Jurisdiction.name)
            .where(Jurisdiction.kind != "federal")
            .order_by(Jurisdiction.name)
        )
    )
    return render_template(
        "dashboards/evidence.html",
        filters=filters,
        province=province,
        problems=problems,
        shown_total=shown_count(total),
        total=total,
        tables=tables,
        provinces=provinces,
        campaign=campaign,
        campaigns=campaigns,
        campaign_names={i: n for i, n, _ in campaigns},
        campaign_scopes=CAMPAIGN_SCOPES,
    )


@bp.route("/members/<table>.<fmt>")
def evidence_export(table, fmt):
    *_, tables = _evidence()
    found = next((t for t in tables if t.key == table), None)
    if found is None:
        abort(404)
    return _download([found.heading, "Members"], found.shown, fmt, f"members-by-{table}")
