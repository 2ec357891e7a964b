"""/metrics and the admin health page at the large demo's scale (issue 26: /metrics under 50 ms).

Loading the large demo takes some 17 minutes on PostgreSQL here, so this reads a database that already holds it:
    METRICS_BENCH_DATABASE_URL=postgresql://…/crm_bench python -m tests.benchmarks.metrics_bench
(`flask crm demo --scale large` into it first). Each figure is the median of 20 scrapes; the first scrape of a
process (cold: it reads the whole-table totals itself) and scrapes that find the totals a minute old (a thread
reads them meanwhile) are reported apart.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time


def run(database_url: str | None = None, scrapes: int = 20) -> dict:
    url = database_url or os.environ.get("METRICS_BENCH_DATABASE_URL")
    if not url:
        return {"skipped": "set METRICS_BENCH_DATABASE_URL to a database holding the large demo"}
    from sqlalchemy import func, select

    from crm import create_app
    from crm.campaigns.models import Letter
    from crm.extensions import db
    from crm.ops import metrics
    from crm.outbox.models import OutboundMessage

    token = "bench-token"
    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tempfile.mkdtemp(),
            "METRICS_TOKEN": token,
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
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

    metrics.forget_cache()
    cold = timed("/metrics")
    warm = [timed("/metrics") for _ in range(scrapes)]
    stale = []
    for _ in range(3):  # the totals a minute old: the scrape answers with them while a thread reads fresh ones
        with metrics._cache_lock:
            for key, (_, rows) in list(metrics._cache.items()):
                metrics._cache[key] = (time.monotonic() - metrics.CACHE_SECONDS - 1, rows)
        stale.append(timed("/metrics"))
        time.sleep(1.5)  # let the refresh finish
    admin = _health_page_ms(app, client)
    result = {
        "engine": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
        **sizes,
        "metrics_cold_ms": round(cold, 1),
        "metrics_stale_totals_median_ms": round(statistics.median(stale), 1),
        "metrics_median_ms": round(statistics.median(warm), 1),
        "metrics_max_ms": round(max(warm), 1),
        "health_page_ms": admin,
        "target_met": statistics.median(warm) < 50,
    }
    with app.app_context():
        db.engine.dispose()
    return result


def _health_page_ms(app, client) -> float | None:
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


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
