"""Issue 4's benchmark: a 10,000-entry stakeholder timeline and the filtered interaction list, with 200,000
interactions in the database. Target: each under 100 ms server time at p95, on SQLite and PostgreSQL.

Rows are bulk-inserted through SQLAlchemy Core (no ORM objects, no audit hook); pages are requested through
the Flask test client in-process, timing each request. Run alone with
`.venv/bin/python -m tests.benchmarks.interactions_bench [postgresql://…]`, or through `make bench`, which
(BENCH_QUICK=1) builds a tenth of the rows (20,000 interactions, a 1,000-entry timeline) unless BENCH_SCALE=large.

Then the filtered list and the person timeline against their own SQL (issue 23): the statements each warm request
runs, replayed through the driver alone (`/bench/sql-floor`, tests/benchmarks/sql_floor.py), in alternating
rounds on one warm gunicorn; target: each at >= 0.5 of its floor's requests/s.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

SUPPORTS_POSTGRES = True
INTERACTIONS = 200_000
HUB_ENTRIES = 10_000
OTHER_PEOPLE = 500
REQUESTS = 40
TARGET_MS = 100.0
PASSWORD = "benchmark horse battery staple"
CHUNK = 10_000


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def _summary(timings: tuple[list[float], list[float]]) -> dict:
    samples, cpu = timings
    return {
        "requests": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_p95(samples), 1),
        "max_ms": round(max(samples), 1),
        # CPU time of this process: on SQLite the whole server time, unaffected by other load on the machine;
        # on PostgreSQL it leaves out the database server's work.
        "cpu_p95_ms": round(_p95(cpu), 1),
    }


FLOOR_TARGET = 0.5


def _scale() -> float:
    quick = os.environ.get("BENCH_QUICK") == "1" and os.environ.get("BENCH_SCALE") != "large"
    return 0.1 if quick else 1.0


def _build(app, rng: random.Random, total: int = INTERACTIONS, hub_entries: int = HUB_ENTRIES) -> dict:
    """Users, people and 200,000 interactions with participants and hashtags; returns the ids benchmarked."""
    from crm.auth.services import create_user
    from crm.cli import seed_reference_data
    from crm.extensions import db
    from crm.interactions.models import Interaction, InteractionHashtag, Participant
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import Organization, Person

    with app.app_context():
        seed_reference_data(db.session)
        staff = [
            create_user(
                db.session,
                email=f"bench{i}@example.org",
                password=PASSWORD,
                role="committee",
                confirmed=True,
                name=f"Bench {i}",
            )
            for i in range(5)
        ]
        db.session.commit()
        staff_ids = [u.id for u in staff]
        jurisdictions = list(db.session.scalars(select(Jurisdiction.id)))
        organizations = list(db.session.scalars(select(Organization.id)))
        cpso = db.session.scalar(select(Organization.id).where(Organization.acronym == "CPSO")) or organizations[0]
        with db.engine.begin() as conn:
            first_person = (conn.scalar(select(Person.id).order_by(Person.id.desc()).limit(1)) or 0) + 1
            people = [
                {
                    "id": first_person + i,
                    "full_name": f"Stakeholder {i:04d}",
                    "title": "Official",
                    "organization_id": cpso if i == 0 else rng.choice(organizations),
                    "archived": False,
                }
                for i in range(OTHER_PEOPLE + 1)
            ]
            conn.execute(insert(Person), people)
        hub = first_person
        others = [p["id"] for p in people[1:]]
        start = datetime(2021, 1, 1)
        span_minutes = int((datetime(2026, 11, 1) - start).total_seconds() // 60)
        kinds = ["meeting", "call", "email", "letter", "event", "social_post"]
        hub_every = total // hub_entries
        with db.engine.begin() as conn:
            first_id = (conn.scalar(select(Interaction.id).order_by(Interaction.id.desc()).limit(1)) or 0) + 1
            participant_id = (conn.scalar(select(Participant.id).order_by(Participant.id.desc()).limit(1)) or 0) + 1
            for chunk_start in range(0, total, CHUNK):
                interactions, participants, tags = [], [], []
                for n in range(chunk_start, min(chunk_start + CHUNK, total)):
                    interaction_id = first_id + n
                    hashtags = [
                        t
                        for t, share in (("#mppchats", 3), ("#skillstohelp", 5), ("#pra", 7))
                        if rng.randrange(share) == 0
                    ]
                    occurred_at = start + timedelta(minutes=rng.randrange(span_minutes))
                    interactions.append(
                        {
                            "id": interaction_id,
                            "kind": kinds[n % len(kinds)],
                            "occurred_at": occurred_at,
                            "title": f"Interaction {n}",
                            "summary": "Talked about PRA spots and residency positions.",
                            "outcome": None,
                            "hashtags": " ".join(hashtags) or None,
                            "jurisdiction_id": rng.choice(jurisdictions),
                            "author_id": rng.choice(staff_ids),
                            "member_report": False,
                        }
                    )
                    stakeholder = (
                        {"person_id": hub}
                        if n % hub_every == 0
                        else {"person_id": rng.choice(others)}
                        if n % 3
                        else {"organization_id": rng.choice(organizations)}
                    )
                    participants.append(
                        {
                            "id": participant_id,
                            "interaction_id": interaction_id,
                            "side": "stakeholder",
                            "role": "target",
                            "occurred_at": occurred_at,
                            "person_id": None,
                            "organization_id": None,
                            "user_id": None,
                            **stakeholder,
                        }
                    )
                    participant_id += 1
                    if n % 4 == 0:
                        participants.append(
                            {
                                "id": participant_id,
                                "interaction_id": interaction_id,
                                "side": "itpo",
                                "role": "organiser",
                                "occurred_at": occurred_at,
                                "person_id": None,
                                "organization_id": None,
                                "user_id": rng.choice(staff_ids),
                            }
                        )
                        participant_id += 1
                    tags.extend({"interaction_id": interaction_id, "tag": tag} for tag in hashtags)
                conn.execute(insert(Interaction), interactions)
                conn.execute(insert(Participant), participants)
                if tags:
                    conn.execute(insert(InteractionHashtag), tags)
            if db.engine.dialect.name == "postgresql":
                for table in ("people", "interactions", "participants"):
                    conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                    )
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        # Ends the session's transaction first: VACUUM cannot mark pages all-visible while a snapshot older than
        # their rows is open, and then no index-only scan skips the table.
        db.session.remove()
        # A database in use has its statistics and visibility map up to date (autovacuum); so does this one.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    return {"hub": hub, "cpso": cpso, "staff": staff_ids, "ontario": ontario}


def _time(client, urls: list[str]) -> tuple[list[float], list[float]]:
    samples, cpu = [], []
    for url in urls:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return samples, cpu


def _against_floors(url: str, instance: Path, ids: dict, filters: list[str], pages: int) -> dict:
    """The filtered list (each filter's first page) and the person timeline (five pages) against their own SQL."""
    from tests.benchmarks.sql_floor import measure_user_pages

    timeline = [f"/interactions/timeline/person/{ids['hub']}?page={n}" for n in sorted({1, 2, pages // 2, pages})]
    return measure_user_pages(
        url,
        instance,
        "bench0@example.org",
        {
            "interaction-list": ("filtered interaction list req/s", [f"/interactions/{f}" for f in filters]),
            "person-timeline": ("person timeline req/s", timeline),
        },
        target=FLOOR_TARGET,
    )


def run(database_url: str | None = None) -> dict:
    from flask_migrate import upgrade

    from crm import create_app
    from crm.extensions import db

    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        if database_url and database_url.startswith("postgres"):
            from tests.conftest import reset_postgres

            reset_postgres(database_url)
        url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        app = create_app(
            {
                "CRM_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": instance,
                "RATELIMIT_ENABLED": False,
                "SERVER_NAME": "localhost",
            }
        )
        started = time.perf_counter()
        with app.app_context():
            upgrade()
        scale = _scale()
        interactions, hub_entries = int(INTERACTIONS * scale), int(HUB_ENTRIES * scale)
        ids = _build(app, rng, interactions, hub_entries)
        build_seconds = time.perf_counter() - started
        from tests.benchmarks.staff_login import login_staff

        client = login_staff(app, "bench0@example.org", PASSWORD)
        pages = hub_entries // 50
        timeline_urls = [
            f"/interactions/timeline/person/{ids['hub']}?page={rng.randint(1, pages)}" for _ in range(REQUESTS)
        ]
        org_urls = [
            f"/interactions/timeline/organization/{ids['cpso']}?page={rng.randint(1, 20)}" for _ in range(REQUESTS // 2)
        ]
        filters = [
            "?kind=meeting&hashtag=mppchats",
            f"?jurisdiction_id={ids['ontario']}&date_from=2024-01-01",
            f"?participant={ids['staff'][0]}&kind=meeting",
            "?hashtag=skillstohelp&date_from=2025-01-01&date_to=2025-12-31",
            f"?stakeholder=person:{ids['hub']}",
            "?kind=event",
        ]
        list_urls = [f"/interactions/{rng.choice(filters)}&page={rng.randint(1, 20)}" for _ in range(REQUESTS)]
        _time(client, timeline_urls[:3] + list_urls[:3])  # warm-up
        timeline = _summary(_time(client, timeline_urls))
        listing = _summary(_time(client, list_urls))
        organization = _summary(_time(client, org_urls))
        floors = _against_floors(url, instance, ids, filters, pages)
        with app.app_context():
            counts = {
                table: db.session.scalar(text(f"SELECT COUNT(*) FROM {table}"))
                for table in ("interactions", "participants", "interaction_hashtags")
            }
            hub_entries = db.session.scalar(
                text("SELECT COUNT(*) FROM participants WHERE person_id = :p"), {"p": ids["hub"]}
            )
            db.session.remove()
            db.engine.dispose()
    return {
        "database": url.split(":")[0],
        "rows": counts,
        "timeline_entries": hub_entries,
        "build_seconds": round(build_seconds, 1),
        "scale": _scale(),
        "person_timeline_10k": timeline,
        "filtered_list": listing,
        "organization_timeline": organization,
        "measured": "server time per request through the Flask test client, in-process, one at a time",
        "load_average_1min": round(os.getloadavg()[0], 1),
        "floors": floors["floors"],
        "against_sql": floors["pages"],
        "target": f"p95 under {TARGET_MS:.0f} ms for the 10,000-entry timeline and the filtered list; each at "
        f">= {FLOOR_TARGET} of its own SQL's requests/s under gunicorn",
        "absolute_target_met": timeline["p95_ms"] < TARGET_MS and listing["p95_ms"] < TARGET_MS,
        "floors_met": all(f["met"] for f in floors["floors"]),
        "target_met": timeline["p95_ms"] < TARGET_MS
        and listing["p95_ms"] < TARGET_MS
        and all(f["met"] for f in floors["floors"]),
        "target_met_cpu": (
            timeline["cpu_p95_ms"] < TARGET_MS and listing["cpu_p95_ms"] < TARGET_MS
            if url.startswith("sqlite")
            else None
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
