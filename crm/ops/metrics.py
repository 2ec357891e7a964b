"""/metrics in the Prometheus text format: the database's figures, read at each scrape with indexed queries (the
totals over whole tables kept by the worker in metric_totals), and this process's request latency by endpoint."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.ops.jobs import job_statuses
from crm.ops.models import JobRun, MetricTotal, WorkerHeartbeat
from crm.ops.totals import COMPUTED, _totals_queries
from crm.outbox.models import STATUS_RANK, AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import utcnow

# Totals over whole tables (messages by status, letters by campaign: 0.2 and 0.4 s at a
# million rows on PostgreSQL) are recounted by a worker every TOTALS_EVERY seconds into
# metric_totals, and a scrape reads those rows. With no worker (its totals older than
# TOTALS_TRUSTED_FOR), a scrape counts them itself, at most once a minute per process, in
# the background: it answers with the last totals while fresh ones are read.
CACHE_SECONDS = 60
TOTALS_TRUSTED_FOR = timedelta(minutes=3)
IN_FLIGHT = tuple(status for status, rank in STATUS_RANK.items() if rank < 2 or status == "deferred")
LATENCY_SAMPLE = 1000  # the newest sends of the last five minutes that the latency quantiles are read from

log = logging.getLogger(__name__)
REQUESTS = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer a request, by endpoint (this process; all of them with PROMETHEUS_MULTIPROC_DIR)",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REQUESTS,
)
_cache: dict[str, tuple[float, object]] = {}
_cache_lock = threading.Lock()


def _cached(key: str, query):
    """The rows of `query` (a select), read afresh at most every CACHE_SECONDS: synchronously the first time, then
    by a background thread while the scrape answers with the previous rows."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        stale = hit is None or now - hit[0] >= CACHE_SECONDS
        if hit is not None and stale:
            _cache[key] = (now, hit[1])  # one refresh at a time; the others keep the old rows meanwhile
    if hit is None:
        rows = _read(query)
        with _cache_lock:
            _cache[key] = (now, rows)
        return rows
    if stale:
        app = current_app._get_current_object()
        threading.Thread(target=_refresh, args=(app, key, query), name="metrics-refresh", daemon=True).start()
    return hit[1]


def _read(query) -> list:
    with Session(db.engine) as session:
        return session.execute(query).all()


def _refresh(app, key: str, query) -> None:
    with app.app_context():
        try:
            rows = _read(query)
        except Exception:  # the old rows stay; the next scrape after CACHE_SECONDS tries again
            log.exception("metrics: could not refresh %s", key)
            return
    with _cache_lock:
        _cache[key] = (time.monotonic(), rows)


def worker_totals(session: Session, now) -> tuple[dict[str, list], datetime | None]:
    """The totals as the worker last counted them, and when; counted here instead when no worker has for
    TOTALS_TRUSTED_FOR (then the time is None)."""
    rows = session.execute(select(MetricTotal.name, MetricTotal.label, MetricTotal.value, MetricTotal.computed_at))
    totals: dict[str, list] = {name: [] for name in _totals_queries()}
    computed = None
    for name, label, value, at in rows:
        if name == COMPUTED:
            computed = at
        elif name in totals:
            totals[name].append((label, value))
    if computed is None or now - computed > TOTALS_TRUSTED_FOR:
        return {name: _cached(name, query) for name, query in _totals_queries().items()}, None
    return totals, computed


def forget_cache() -> None:
    """Tests: read the totals afresh."""
    with _cache_lock:
        _cache.clear()


def start_timer() -> None:
    g.metrics_started = time.perf_counter()


def observe(response):
    started = g.get("metrics_started")
    if started is not None:
        REQUEST_SECONDS.labels(request.endpoint or "(no route)", request.method).observe(time.perf_counter() - started)
    return response


def oldest_queued():
    """When the oldest queued message was queued: the lowest queued id (ids grow with time) found in the claim
    index, then its row, rather than visiting every queued row for the least created_at."""
    lowest = select(func.min(OutboundMessage.id)).where(OutboundMessage.status == "queued").scalar_subquery()
    return select(OutboundMessage.created_at).where(OutboundMessage.id == lowest).scalar_subquery()


@cache
def _latest_statement():
    """Four indexed lookups in one statement, built once (it takes no parameters)."""
    return select(
        oldest_queued().label("oldest_queued"),
        select(func.count()).where(AddressHealth.failing.is_(True)).scalar_subquery().label("failing"),
        select(func.max(DeliveryEvent.received_at)).scalar_subquery().label("last_event"),
        select(func.max(WorkerHeartbeat.seen_at)).scalar_subquery().label("worker_seen"),
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class DatabaseCollector:
    """The figures that live in the database, shared by every web process and worker."""

    def __init__(self, session):
        self.session = session

    def collect(self):
        session, now = self.session, utcnow()
        started = time.perf_counter()
        latest = self.latest(session)
        totals, counted_at = worker_totals(session, now)
        yield from self.outbox(session, now, latest, totals["outbox"])
        yield from self.webhook(session, now, latest)
        yield from self.letters(totals["letters"])
        age = GaugeMetricFamily(
            "crm_metrics_totals_age_seconds", "Age of the worker's whole-table totals (-1: counted by this process)"
        )
        age.add_metric([], (now - counted_at).total_seconds() if counted_at else -1)
        yield age
        yield from self.jobs(session, now)
        seen = latest.worker_seen
        worker = GaugeMetricFamily("crm_worker_last_seen_seconds", "Seconds since a worker last beat (-1: never)")
        worker.add_metric([], (now - seen).total_seconds() if seen else -1)
        yield worker
        took = GaugeMetricFamily("crm_metrics_database_seconds", "Time these database figures took to read")
        took.add_metric([], time.perf_counter() - started)
        yield took

    @staticmethod
    def latest(session):
        """The oldest queued message, the failing addresses, the last provider event and the last heartbeat."""
        return session.execute(_latest_statement()).one()

    def outbox(self, session, now, latest, counted):
        totals = dict(counted)
        # What is still moving is counted at every scrape (few rows, through the claim index).
        totals.update(
            dict.fromkeys(IN_FLIGHT, 0)
            | dict(
                session.execute(
                    select(OutboundMessage.status, func.count())
                    .where(OutboundMessage.status.in_(IN_FLIGHT))
                    .group_by(OutboundMessage.status)
                ).all()
            )
        )
        messages = GaugeMetricFamily("crm_outbox_messages", "Outbox messages by status", labels=["status"])
        for status in STATUS_RANK:
            messages.add_metric([status], totals.get(status, 0))
        yield messages
        oldest = latest.oldest_queued
        age = GaugeMetricFamily("crm_outbox_oldest_queued_seconds", "Age of the oldest queued message (0: none)")
        age.add_metric([], max((now - oldest).total_seconds(), 0) if oldest else 0)
        yield age
        sent = session.execute(
            select(OutboundMessage.created_at, OutboundMessage.sent_at)
            .where(OutboundMessage.sent_at >= now - timedelta(minutes=5))
            .order_by(OutboundMessage.sent_at.desc())
            .limit(LATENCY_SAMPLE)
        ).all()
        per_minute = GaugeMetricFamily(
            "crm_outbox_sent_last_minute", "Messages handed to the provider in the last minute"
        )
        recent = [at for _, at in sent if at >= now - timedelta(minutes=1)]
        if len(sent) == LATENCY_SAMPLE and len(recent) == LATENCY_SAMPLE:  # more than the sample: count them all
            recent = range(
                session.scalar(select(func.count()).where(OutboundMessage.sent_at >= now - timedelta(minutes=1)))
            )
        per_minute.add_metric([], len(recent))
        yield per_minute
        latency = GaugeMetricFamily(
            "crm_outbox_send_latency_seconds",
            "From queued to handed over, messages sent in the last five minutes",
            labels=["quantile"],
        )
        waits = [max((at - created).total_seconds(), 0) for created, at in sent]
        for q in ("0.5", "0.95", "1"):
            latency.add_metric([q], _quantile(waits, float(q)) if waits else 0)
        yield latency
        failing = GaugeMetricFamily("crm_addresses_failing", "Addresses no mail goes to after repeated bounces")
        failing.add_metric([], latest.failing or 0)
        yield failing

    def webhook(self, session, now, latest):
        events = GaugeMetricFamily(
            "crm_webhook_events_last_hour", "Provider events received in the last hour", labels=["event"]
        )
        for event, count in session.execute(
            select(DeliveryEvent.event, func.count())
            .where(DeliveryEvent.received_at >= now - timedelta(hours=1))
            .group_by(DeliveryEvent.event)
        ):
            events.add_metric([event], count)
        yield events
        last = latest.last_event
        age = GaugeMetricFamily("crm_webhook_last_event_seconds", "Seconds since the last provider event (-1: never)")
        age.add_metric([], (now - last).total_seconds() if last else -1)
        yield age

    def letters(self, rows):
        letters = GaugeMetricFamily("crm_letters", "Letters sent, by campaign", labels=["campaign"])
        for slug, count in rows:
            letters.add_metric([slug], count)
        yield letters

    def jobs(self, session, now):
        runs = GaugeMetricFamily(
            "crm_job_runs", "Scheduled job runs in the last day, by outcome", labels=["job", "outcome"]
        )
        for job, outcome, count in session.execute(
            select(JobRun.job, JobRun.outcome, func.count())
            .where(JobRun.started_at >= now - timedelta(days=1))
            .group_by(JobRun.job, JobRun.outcome)
        ):
            runs.add_metric([job, outcome], count)
        yield runs
        failing = GaugeMetricFamily("crm_job_failing", "1 when the job's last run failed", labels=["job"])
        last = GaugeMetricFamily("crm_job_last_run_timestamp_seconds", "When the job last started", labels=["job"])
        for status in job_statuses(session, now):
            failing.add_metric([status.job.name], 1 if status.failing else 0)
            if status.last is not None:
                last.add_metric([status.job.name], (status.last.started_at - _EPOCH).total_seconds())
        yield failing
        yield last


_EPOCH = utcnow().replace(year=1970, month=1, day=1, hour=0, minute=0, second=0)


def exposition(session) -> bytes:
    """The whole /metrics page."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(session))
    return _requests_text() + generate_latest(database)


def _requests_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REQUESTS)
