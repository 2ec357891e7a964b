"""Issue 24's benchmark: the staff bar's one search (/search), server time, against a floor measured in the same
run (/healthz: the app's request overhead and one query).

Run alone: `.venv/bin/python -m tests.benchmarks.search_bench [DATABASE_URL]` (SQLite in a temporary folder by
default; a PostgreSQL URL has its public schema DROPPED first, so never point it at a database in use).
Sizes: BENCH_SCALE=large fills the issue's 100,000 people, 200,000 interactions and 50,000 members; by default a
tenth of that. Target (issue 24): p95 < 100 ms on PostgreSQL at the large scale; SQLite is reported for
information (it scans, with fold_text() in Python, and is the development database).

Then the search against its own SQL (issue 23): the statements each query's warm request runs, replayed through
the driver alone (`/bench/sql-floor`, tests/benchmarks/sql_floor.py), the sixteen queries in turn (eight in
`make bench`, which also leaves out the slowest-queries diagnostics and SQLite), in alternating rounds on one
warm gunicorn;
target: >= 0.5 of its floor's requests/s.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.benchmarks.sql_floor import measure_user_pages
from tests.benchmarks.stakeholders_bench import FIRST, LAST, _login, _percentile, _prepare

LARGE = {"people": 100_000, "interactions": 200_000, "members": 50_000, "organizations": 5_000}
REQUESTS = 60
WORDS = ["registrar", "assessment", "residency", "ministry", "supervised", "practice", "licence", "clinic"]
WORDS += ["budget", "committee", "letter", "briefing", "roundtable", "follow", "hospital", "rural"]
# What people type: acronyms, surnames and parts of them, ridings, hashtags, words of a summary, emails,
# accents, and text that matches nothing.
QUERIES = ["cpso", "CPSO", "kowal", "Tremblay", "nguyen 4", "scarborough", "orleans", "#mppchats", "skillstohelp"]
QUERIES += ["supervised practice", "roundtable", "member123@", "Côté", "college physicians", "zzqx", "ontario"]


def _sizes() -> dict[str, int]:
    if os.environ.get("BENCH_SCALE") == "large":
        return dict(LARGE)
    return {name: count // 10 for name, count in LARGE.items()}


def _chunks(total: int, size: int = 10_000):
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def _fill_directory(session, sizes: dict, rng: random.Random) -> None:
    from sqlalchemy import func, insert, select

    from crm.stakeholders.models import Organization, Person

    first_org = (session.scalar(select(func.max(Organization.id))) or 0) + 1
    session.execute(
        insert(Organization),
        [{"name": f"Organization {n:05d}", "kind": "ally", "archived": False} for n in range(sizes["organizations"])],
    )
    for chunk in _chunks(sizes["people"]):
        session.execute(
            insert(Person),
            [
                {
                    "full_name": f"{rng.choice(FIRST + ['Émile', 'Zoë'])} {rng.choice(LAST + ['Côté'])} {n}",
                    "organization_id": first_org + rng.randrange(sizes["organizations"]),
                    "archived": False,
                }
                for n in chunk
            ],
        )


def _fill_interactions(session, sizes: dict, rng: random.Random) -> None:
    from sqlalchemy import func, insert, select

    from crm.interactions.models import Interaction, InteractionHashtag

    first = (session.scalar(select(func.max(Interaction.id))) or 0) + 1
    start = datetime(2026, 12, 1)
    for chunk in _chunks(sizes["interactions"]):
        session.execute(
            insert(Interaction),
            [
                {
                    "kind": rng.choice(["meeting", "call", "email", "letter"]),
                    "occurred_at": start - timedelta(minutes=17 * n),
                    "title": f"{rng.choice(WORDS).title()} with {rng.choice(LAST)} {n}",
                    "summary": " ".join(rng.choice(WORDS) for _ in range(30)),
                    "member_report": False,
                    "archived": False,
                }
                for n in chunk
            ],
        )
        session.execute(
            insert(InteractionHashtag),
            [
                {"interaction_id": first + n, "tag": rng.choice(["#mppchats", "#skillstohelp"])}
                for n in chunk
                if n % 7 == 0
            ],
        )


def _fill_members(session, sizes: dict, rng: random.Random) -> None:
    from sqlalchemy import insert

    from crm.auth.models import User

    for chunk in _chunks(sizes["members"]):
        session.execute(
            insert(User),
            [
                {
                    "email": f"member{n}@example.org",
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "password_hash": "!",
                    "role": "member",
                    "active": True,
                }
                for n in chunk
            ],
        )


def _fill(app, sizes: dict, rng: random.Random) -> None:
    """Bulk rows through Core inserts (the audit log is for people's edits), then the statistics a database in
    use would have."""
    from crm.extensions import db

    with app.app_context():
        _fill_directory(db.session, sizes, rng)
        _fill_interactions(db.session, sizes, rng)
        _fill_members(db.session, sizes, rng)
        db.session.commit()
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(db.text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))


def _time(client, urls: list[str]) -> list[float]:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _summary(timings: list[float]) -> dict:
    return {
        "requests": len(timings),
        "p50_ms": round(_percentile(timings, 0.5), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
    }


def _slowest(client) -> list[tuple[str, float]]:
    """Each query's own worst time over three tries: where to look when the p95 misses."""
    from urllib.parse import quote

    worst = [(q, max(_time(client, [f"/search?q={quote(q)}"] * 3))) for q in QUERIES]
    return [(q, round(ms, 1)) for q, ms in sorted(worst, key=lambda item: -item[1])[:5]]


def run(database_url: str | None = None) -> dict:
    from urllib.parse import quote

    if database_url is None and os.environ.get("BENCH_QUICK") == "1":
        # SQLite's search scans through fold_text() (2 s a query at 10,000 people on a busy machine): too slow
        # for make bench, and the target is PostgreSQL's. BENCH_QUICK=0 measures it.
        return {"database": "sqlite", "skipped": "SQLite's search is measured with BENCH_QUICK=0", "target_met": None}
    sizes = _sizes()
    rng = random.Random(24)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        app = _prepare(database_url, instance)
        started = time.perf_counter()
        _fill(app, sizes, rng)
        fill_s = time.perf_counter() - started
        client = _login(app)
        urls = [f"/search?q={quote(q)}" for q in QUERIES]
        _time(client, urls + ["/healthz"] * 5)  # warm-up: every statement compiled and cached once
        floor, search = [], []
        for _ in range(REQUESTS // len(QUERIES) + 1):  # interleaved, so both see the same machine
            floor += _time(client, ["/healthz"] * len(QUERIES))
            search += _time(client, rng.sample(urls, len(urls)))
        quick = os.environ.get("BENCH_QUICK") == "1"
        slowest = None if quick else _slowest(client)  # diagnostics: left out of make bench's short run
        floored_urls = urls[::2] if quick else urls  # make bench: every other query, eight
        floors = measure_user_pages(
            database_url,
            instance,
            "bench@example.org",
            {"staff-search": ("staff search req/s", floored_urls)},
            target=0.5,
        )
        with app.app_context():
            from crm.extensions import db

            dialect = db.engine.dialect.name
            db.engine.dispose()
    searched, floored = _summary(search), _summary(floor)
    return {
        "database": dialect,
        "scale": "large" if os.environ.get("BENCH_SCALE") == "large" else "small (a tenth)",
        **sizes,
        "fill_s": round(fill_s, 1),
        "search": searched,
        "floor_healthz": floored,
        "search_over_floor_p95_ratio": round(searched["p95_ms"] / max(floored["p95_ms"], 0.1), 1),
        "slowest_queries_ms": slowest,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "floors": floors["floors"],
        "against_sql": floors["pages"],
        "measured": "server time through the Flask test client (no network), one process",
        "target": "search p95 < 100 ms on PostgreSQL at 100,000 people, 200,000 interactions, 50,000 members; "
        ">= 0.5 of its own SQL's requests/s",
        "absolute_target_met": (searched["p95_ms"] < 100) if dialect == "postgresql" else None,
        "target_met": all(f["met"] for f in floors["floors"]) and (dialect != "postgresql" or searched["p95_ms"] < 100),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2, ensure_ascii=False))
