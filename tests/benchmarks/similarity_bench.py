"""Issue 21 item 4's benchmark: what the near-copy check adds to sending a letter in a full campaign.

Fills one campaign with SIMILARITY_BENCH_LETTERS letters (50,000 by default; BENCH_SCALE=large: 1,000,000) with
synthetic stories, their signatures and band rows (COPY on PostgreSQL), then times ~200 sends, alternating:
the floor (the letter row inserted and committed) and the same with `record_letter`, half of them touched-up
copies of letters in the campaign; and `check_text` (the preview) alone. Target (PostgreSQL): record_letter and
check_text each under 20 ms at p95, measured in the same run as the floor. The thresholds' measured error rates
on synthetic stories are reported too.

Run alone: `.venv/bin/python -m tests.benchmarks.similarity_bench [postgresql://...]`.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 20.0
SAMPLES = 200


def _letters_wanted() -> int:
    default = 1_000_000 if os.environ.get("BENCH_SCALE") == "large" else 50_000
    return int(os.environ.get("SIMILARITY_BENCH_LETTERS", default))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _fill(session, letters: int, rng: random.Random) -> dict:
    """A campaign, enough members to write `letters` letters to the 124 MPPs, the letters and their signatures."""
    from sqlalchemy import insert, select

    from crm.auth.models import User
    from crm.campaigns import services
    from crm.campaigns.models import Letter
    from crm.campaigns.similarity_bulk import record_letters
    from crm.campaigns.similarity_stories import story
    from crm.lib.bulk import insert_rows_returning_ids
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import ElectedOffice

    session.info["audit_disabled"] = True
    ontario = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    campaign = services.create_campaign(
        session, actor_id=None, name="Similarity bench", kind="own_representative", jurisdiction_id=ontario
    )
    template, _ = services.save_template(
        session,
        campaign,
        subject="A letter",
        actor_id=None,
        blocks=[services.BlockInput("personal", "Your story", min_length=20)],
    )
    offices = list(
        session.execute(
            select(ElectedOffice.person_id, ElectedOffice.district_id).where(ElectedOffice.current.is_(True))
        )
    )
    members = letters // len(offices) + 1 + SAMPLES
    user_ids = list(
        session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "email": f"sim-bench-{n}@example.invalid",
                    "name": f"Bench {n}",
                    "password_hash": "!",
                    "role": "member",
                }
                for n in range(members)
            ],
        )
    )
    started = time.perf_counter()
    kept: list[str] = []
    for start in range(0, letters, 20_000):
        rows = [
            {
                "campaign_id": campaign.id,
                "user_id": user_ids[n // len(offices)],
                "person_id": offices[n % len(offices)][0],
                "district_id": offices[n % len(offices)][1],
                "template_id": template.id,
                "to_address": "mpp@example.invalid",
                "subject": "A letter",
                "body": "-",
            }
            for n in range(start, min(letters, start + 20_000))
        ]
        ids = insert_rows_returning_ids(session, Letter.__table__, rows)
        texts = [story(rng) for _ in ids]
        kept += texts[: max(0, 2000 - len(kept))]
        record_letters(session, zip(ids, [campaign.id] * len(ids), texts, strict=False), classify=False)
    session.commit()
    return {
        "campaign_id": campaign.id,
        "template_id": template.id,
        "offices": offices,
        "stories": kept,
        "spare_users": user_ids[-SAMPLES:],
        "fill_seconds": round(time.perf_counter() - started, 1),
    }


def _vacuum(engine) -> None:
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE letter_similarity_bands"))
            connection.execute(text("VACUUM ANALYZE letter_signatures"))
            connection.execute(text("VACUUM ANALYZE letters"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _time_sends(session, data: dict, rng: random.Random) -> dict:
    """Alternate floor sends and sends with record_letter; time check_text alone on the same texts."""
    from crm.campaigns import similarity
    from crm.campaigns.models import Letter
    from crm.campaigns.similarity_stories import edited, story

    floor, added, checks, bands = [], [], [], {}
    for n, user_id in enumerate(data["spare_users"]):
        text = edited(rng.choice(data["stories"]), rng.randint(1, 5), rng) if n % 2 else story(rng)
        person_id, district_id = data["offices"][n % len(data["offices"])]
        started = time.perf_counter()
        result = similarity.check_text(session, data["campaign_id"], text)
        checks.append(time.perf_counter() - started)
        started = time.perf_counter()
        letter = Letter(
            campaign_id=data["campaign_id"],
            user_id=user_id,
            person_id=person_id,
            district_id=district_id,
            template_id=data["template_id"],
            to_address="mpp@example.invalid",
            subject="A letter",
            body=text,
        )
        session.add(letter)
        session.flush()
        inserted = time.perf_counter()
        if n % 4 < 2:
            band = similarity.record_letter(session, letter.id, data["campaign_id"], text)
            bands[band] = bands.get(band, 0) + 1
            added.append(time.perf_counter() - inserted)
        session.commit()
        if n % 4 >= 2:
            floor.append(time.perf_counter() - started)
        del result
    ms = lambda values, q: round(_percentile(values, q) * 1000, 2)  # noqa: E731
    return {
        "samples": len(data["spare_users"]),
        "floor_send_p50_ms": ms(floor, 0.5),
        "floor_send_p95_ms": ms(floor, 0.95),
        "record_letter_p50_ms": ms(added, 0.5),
        "record_letter_p95_ms": ms(added, 0.95),
        "check_text_p50_ms": ms(checks, 0.5),
        "check_text_p95_ms": ms(checks, 0.95),
        "added_over_floor_p95_ratio": round(_percentile(added, 0.95) / _percentile(floor, 0.95), 2),
        "bands_of_timed_letters": bands,
    }


def run(database_url: str | None = None) -> dict:
    from flask_migrate import upgrade

    from crm import create_app
    from crm.campaigns.similarity_stories import measure_thresholds
    from crm.cli import seed_reference_data
    from crm.extensions import db

    letters = _letters_wanted()
    with tempfile.TemporaryDirectory() as tmp:
        if database_url and database_url.startswith("postgres"):
            from tests.conftest import reset_postgres

            reset_postgres(database_url)
        else:
            letters = min(letters, 20_000)  # SQLite: a smaller campaign; the target is set on PostgreSQL
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp})
        rng = random.Random(21)
        with app.app_context():
            upgrade()
            seed_reference_data(db.session)
            db.session.commit()
            data = _fill(db.session, letters, rng)
            _vacuum(db.engine)
            timings = _time_sends(db.session, data, rng)
            db.session.remove()
            db.engine.dispose()
    result = {
        "database": url.split(":")[0],
        "letters_in_campaign": letters,
        "fill_seconds": data["fill_seconds"],
        **timings,
        "thresholds": measure_thresholds(random.Random(21), stories=1000),
        "target": f"record_letter and check_text p95 < {TARGET_MS:.0f} ms (PostgreSQL, 1,000,000 letters)",
    }
    result["target_met"] = timings["record_letter_p95_ms"] < TARGET_MS and timings["check_text_p95_ms"] < TARGET_MS
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
