"""/metrics and the admin health page (issue 26: /metrics under 50 ms, the max of the scrapes).

By default a fresh database gets `flask crm demo`'s data at BENCH_SCALE (small in `make bench`: 3,000 members,
5,532 letters; `large`, run by hand: 50,000 members, about a million letters, some 17 minutes to load on
PostgreSQL). On a database that already holds the demo:
    METRICS_BENCH_DATABASE_URL=postgresql://…/crm_bench python -m tests.benchmarks.metrics_bench

In-process, the median and max of SCRAPES scrapes, after the worker's recount of the whole-table totals (what a
running worker does once a minute; timed apart) and two warm-ups. The first scrape of a process with no worker
running (it counts the totals itself) is reported apart. Then, on one warm gunicorn, /metrics against its own SQL
through the driver (`/bench/sql-floor`, tests/benchmarks/sql_floor.py) in alternating rounds: target >= 0.5.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

SCRAPES = 25
TOKEN = "bench-token"
TARGET_MS = 50.0
FLOOR_TARGET = 0.5


def _fresh(database_url: str | None, instance: Path, scale: str) -> tuple[str, dict]:
    """A migrated, seeded database with the demo at `scale`; returns its URL and the demo's counts."""
    from flask_migrate import upgrade

    from crm import create_app
    from crm.cli import seed_reference_data
    from crm.dashboards.demo import load_demo
    from crm.extensions import db

    if database_url and database_url.startswith("postgres"):
        from tests.conftest import reset_postgres

        reset_postgres(database_url)
    url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        counts = load_demo(db.session, scale)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url, counts


def scrapes(url: str, instance: Path, count: int = SCRAPES) -> dict:
    """/metrics scraped in-process through the test client: cold with no worker, then `count` warm after a
    worker's recount."""
    from sqlalchemy import delete, func, select

    from crm import create_app
    from crm.campaigns.models import Letter
    from crm.extensions import db
    from crm.ops import metrics, totals
    from crm.ops.models import MetricTotal
    from crm.outbox.models import OutboundMessage
    from crm.outbox.services import utcnow

    app = create_app(
        {"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "METRICS_TOKEN": TOKEN}
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with app.app_context():
        sizes = {
            "letters": db.session.scalar(select(func.count()).select_from(Letter)),
            "messages": db.session.scalar(select(func.count()).select_from(OutboundMessage)),
        }
        db.session.remove()

    def timed(path: str) -> float:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.status_code
        return (time.perf_counter() - started) * 1000

    with app.app_context():  # no worker yet: the first scrape counts the whole-table totals itself
        db.session.execute(delete(MetricTotal))
        db.session.commit()
    metrics.forget_cache()
    cold = timed("/metrics")
    with app.app_context():  # what a running worker does about once a minute
        started = time.perf_counter()
        totals.refresh_totals(db.session, utcnow())
        db.session.commit()
        recount = (time.perf_counter() - started) * 1000
        db.session.remove()
    timed("/metrics"), timed("/metrics")  # warm-up
    load = round(os.getloadavg()[0], 2)
    warm = [timed("/metrics") for _ in range(count)]
    result = {
        **sizes,
        "scrapes": count,
        "metrics_cold_without_worker_ms": round(cold, 1),
        "worker_recount_ms": round(recount, 1),
        "metrics_median_ms": round(statistics.median(warm), 1),
        "metrics_max_ms": round(max(warm), 1),
        "load_average": load,
        "health_page_ms": _health_page_ms(app),
    }
    with app.app_context():
        db.engine.dispose()
    return result


def _health_page_ms(app) -> float | None:
    """The health page's figures (without rendering or logging in): gather() alone."""
    from crm.extensions import db
    from crm.ops import health

    with app.test_request_context():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            health.gather(app, db.session)
            times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return round(statistics.median(times), 1)


def against_floor(url: str, instance: Path) -> dict:
    """/metrics against its own SQL through the driver, on one warm gunicorn."""
    from crm.extensions import db
    from tests.benchmarks import sql_floor
    from tests.benchmarks.floor_app import make_app

    app = make_app({**sql_floor.bench_config(url, instance), "METRICS_TOKEN": TOKEN})
    seconds = 2.0 if os.environ.get("BENCH_QUICK") == "1" else 5.0
    try:
        return sql_floor.pages_against_sql(
            app,
            url,
            instance,
            {"metrics": ("/metrics scrapes/s", ["/metrics"])},
            headers={"Authorization": f"Bearer {TOKEN}"},
            seconds=seconds,
            target=FLOOR_TARGET,
            extra_env={"METRICS_TOKEN": TOKEN},
        )
    finally:
        with app.app_context():
            db.engine.dispose()


def run(database_url: str | None = None) -> dict:
    existing = os.environ.get("METRICS_BENCH_DATABASE_URL")
    scale = os.environ.get("BENCH_SCALE") or "small"
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        if existing:
            url, counts, scale = existing, {}, "existing"
        else:
            url, counts = _fresh(database_url, instance, scale)
        measured = scrapes(url, instance)
        floor = against_floor(url, instance)
    met = measured["metrics_max_ms"] < TARGET_MS
    return {
        "database": url.split(":", 1)[0].split("+")[0],
        "scale": scale,
        "demo": counts,
        **measured,
        "floors": floor["floors"],
        "against_sql": floor["pages"],
        "target": f"/metrics max of {SCRAPES} warm scrapes < {TARGET_MS:.0f} ms; >= {FLOOR_TARGET} of its SQL's "
        "scrapes/s under load",
        "absolute_target_met": met,
        "target_met": met and all(f["met"] for f in floor["floors"]),
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
