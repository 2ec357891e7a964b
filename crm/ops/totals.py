"""The whole-table totals /metrics reports (outbox messages by status, letters by campaign), recounted by the
workers into metric_totals so a scrape reads a few rows; apart from metrics.py, so the worker app counts them
without importing prometheus_client."""

from __future__ import annotations

import time
from functools import cache

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, Letter
from crm.ops.models import MetricTotal
from crm.outbox.models import OutboundMessage
from crm.outbox.worker import add_pass_job

TOTALS_EVERY = 60
COMPUTED = "_computed"  # the row that says when the worker last recounted (its value: the rows it wrote)


@cache
def _totals_queries() -> dict:
    """Built once: every scrape and every recount runs them."""
    return {
        "outbox": select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status),
        "letters": select(Campaign.slug, func.count(Letter.id))
        .join(Letter, Letter.campaign_id == Campaign.id)
        .group_by(Campaign.slug),
    }


def refresh_totals(session: Session, now) -> int:
    """Recount the whole-table totals into metric_totals (replacing the last count); flushes, the caller commits.
    Returns the rows written."""
    rows = [
        {"name": name, "label": str(label), "value": value, "computed_at": now}
        for name, query in _totals_queries().items()
        for label, value in session.execute(query).all()
    ]
    rows.append({"name": COMPUTED, "label": "", "value": len(rows), "computed_at": now})
    session.execute(delete(MetricTotal))
    session.execute(insert(MetricTotal), rows)
    return len(rows)


_last_recount = {"at": float("-inf")}


def _recount_totals_pass(session: Session, now) -> None:
    """The worker's pass job: recount the totals when the last count (by any worker) is TOTALS_EVERY old."""
    if time.monotonic() - _last_recount["at"] < TOTALS_EVERY:
        return
    _last_recount["at"] = time.monotonic()
    computed = session.scalar(select(MetricTotal.computed_at).where(MetricTotal.name == COMPUTED))
    if computed is None or (now - computed).total_seconds() >= TOTALS_EVERY:
        refresh_totals(session, now)


add_pass_job(_recount_totals_pass)
