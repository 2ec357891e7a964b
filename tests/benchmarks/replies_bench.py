"""Issue 21 item 6's benchmarks: "did they reply?".

- queueing: 10,000 letters delivered 15 days ago, then one `queue_due_surveys` run (and its commit): every
  survey row and email queued in bulk. Target: under 10 s, on SQLite and PostgreSQL.
- the responsiveness panel: REPLIES_BENCH_LETTERS letters in one campaign (BENCH_SCALE=large: 1,000,000; default
  100,000), every one surveyed and 40% answered, spread over the 124 MPPs; the panel's partial rendered in a
  request REQUESTS times. Target: p95 under 300 ms on PostgreSQL (the issue states it at 1,000,000).

Run alone: `.venv/bin/python -m tests.benchmarks.replies_bench [postgresql://...]` (its schema is rebuilt).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

SUPPORTS_POSTGRES = True
QUEUED = 10_000
LARGE = os.environ.get("BENCH_SCALE") == "large"
PANEL_LETTERS = int(os.environ.get("REPLIES_BENCH_LETTERS", 1_000_000 if LARGE else 100_000))
REQUESTS = int(os.environ.get("REPLIES_BENCH_REQUESTS", "30"))
CHUNK = 50_000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


def _app(database_url: str, instance: Path):
    from flask_migrate import upgrade

    from crm import create_app
    from crm.cli import seed_reference_data
    from crm.extensions import db

    if database_url.startswith("postgresql"):
        from tests.conftest import reset_postgres

        reset_postgres(database_url)
    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
    return app


def _campaign(session):
    from sqlalchemy import select

    from crm.campaigns.models import Campaign, LetterTemplate
    from crm.reference.models import Jurisdiction

    ontario = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    campaign = Campaign(
        name=f"Bench {time.time_ns()}", slug=f"bench-{time.time_ns()}", jurisdiction_id=ontario, status="live"
    )
    template = LetterTemplate(campaign=campaign, version=1, subject="A letter")
    session.add_all([campaign, template])
    session.flush()
    return campaign.id, template.id


def _letters(session, n: int, prefix: str, *, delivered_days_ago: float | None) -> list[int]:
    """n members, one letter each to an MPP (round robin over the offices), with an outbox row when delivered."""
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.campaigns.models import Letter
    from crm.lib.bulk import insert_rows, insert_rows_returning_ids
    from crm.outbox.models import DeliveryEvent, OutboundMessage
    from crm.stakeholders.models import ElectedOffice

    offices = session.execute(
        select(ElectedOffice.person_id, ElectedOffice.district_id, ElectedOffice.party).where(
            ElectedOffice.current.is_(True)
        )
    ).all()
    campaign_id, template_id = _campaign(session)
    now = datetime.utcnow()
    letter_ids = []
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        users = insert_rows_returning_ids(
            session,
            User.__table__,
            [
                {
                    "email": f"{prefix}{start + i}@example.org",
                    "name": f"Member {start + i}",
                    "password_hash": "!",
                    "role": "member",
                    "active": True,
                    "email_confirmed_at": now,
                    "session_version": 1,
                }
                for i in range(size)
            ],
        )
        messages = [None] * size
        if delivered_days_ago is not None:
            messages = insert_rows_returning_ids(
                session,
                OutboundMessage.__table__,
                [
                    {
                        "kind": "letter",
                        "user_id": user,
                        "to_address": "mpp@example.invalid",
                        "from_address": "ITPO <no-reply@itpo.example>",
                        "subject": "A letter",
                        "text_body": "Dear MPP",
                        "status": "delivered",
                        "attempts": 1,
                        "next_attempt_at": now,
                        "possible_duplicate": False,
                    }
                    for user in users
                ],
            )
            insert_rows(
                session,
                DeliveryEvent.__table__,
                [
                    {
                        "provider_event_id": f"{prefix}-{message}",
                        "event": "delivered",
                        "message_id": message,
                        "occurred_at": now - timedelta(days=delivered_days_ago),
                        "received_at": now,
                    }
                    for message in messages
                ],
            )
        letter_ids += insert_rows_returning_ids(
            session,
            Letter.__table__,
            [
                {
                    "campaign_id": campaign_id,
                    "user_id": user,
                    "person_id": offices[(start + i) % len(offices)][0],
                    "district_id": offices[(start + i) % len(offices)][1],
                    "party": offices[(start + i) % len(offices)][2],
                    "template_id": template_id,
                    "to_address": "mpp@example.invalid",
                    "subject": "A letter",
                    "body": "Dear MPP",
                    "message_id": messages[i],
                    "created_at": now,
                }
                for i, user in enumerate(users)
            ],
        )
    return [campaign_id, *letter_ids]


def measure_queueing(app) -> dict:
    from crm.extensions import db
    from crm.replies.services import queue_due_surveys

    with app.app_context():
        db.session.info["audit_disabled"] = True
        _letters(db.session, QUEUED, "due", delivered_days_ago=15)
        db.session.commit()
        started = time.perf_counter()
        queued = queue_due_surveys(db.session)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return {
        "surveys": queued,
        "seconds": round(seconds, 2),
        "target_seconds": 10,
        "target_met": queued == QUEUED and seconds < 10,
    }


def _answer_all(session, campaign_id: int) -> None:
    """Every letter of the campaign surveyed, 40% answered (replied, acknowledged, no reply in turn)."""
    from sqlalchemy import select

    from crm.campaigns.models import Letter
    from crm.lib.bulk import insert_rows
    from crm.replies.models import LetterReply

    now = datetime.utcnow()
    rows = session.execute(
        select(Letter.id, Letter.user_id, Letter.person_id, Letter.district_id, Letter.party)
        .where(Letter.campaign_id == campaign_id)
        .order_by(Letter.id)
    ).all()
    answers = ("replied", "acknowledged", "no_reply")
    for start in range(0, len(rows), CHUNK):
        insert_rows(
            session,
            LetterReply.__table__,
            [
                {
                    "letter_id": letter,
                    "campaign_id": campaign_id,
                    "user_id": user,
                    "person_id": person,
                    "district_id": district,
                    "party": party,
                    "nonce": "bench",
                    "delivered_at": now,
                    "asked_at": now,
                    "answer": answers[n % 3] if n % 5 < 2 else None,
                    "tone": None,
                    "reply_text": None,
                    "answered_at": now if n % 5 < 2 else None,
                    "message_id": None,
                    "stance_id": None,
                }
                for n, (letter, user, person, district, party) in enumerate(rows[start : start + CHUNK], start)
            ],
        )


def measure_panel(app, letters: int) -> dict:
    from flask import render_template_string
    from sqlalchemy import text

    from crm.extensions import db

    with app.app_context():
        db.session.info["audit_disabled"] = True
        campaign_id = _letters(db.session, letters, "panel", delivered_days_ago=None)[0]
        _answer_all(db.session, campaign_id)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE letter_replies"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.remove()
    timings = []
    with app.test_request_context("/"):
        for _ in range(REQUESTS):
            started = time.perf_counter()
            html = render_template_string('{% include "replies/_responsiveness.html" %}', campaign={"id": campaign_id})
            timings.append((time.perf_counter() - started) * 1000)
            db.session.remove()
    assert "Responsiveness" in html and "%</td>" in html
    p95 = _percentile(timings, 0.95)
    return {
        "letters": letters,
        "requests": REQUESTS,
        "p50_ms": round(_percentile(timings, 0.5), 1),
        "p95_ms": round(p95, 1),
        "target_ms": 300,
        "target_met": p95 < 300,
    }


def run(database_url: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'replies.sqlite3'}"
        app = _app(url, Path(tmp))
        results = {"queue_10000": measure_queueing(app), "panel": measure_panel(app, PANEL_LETTERS)}
        with app.app_context():
            from crm.extensions import db

            db.engine.dispose()
    results["target_met"] = all(part["target_met"] for part in results.values())
    return results


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
