"""Issue 6's benchmarks: sending a letter.

- `run()` (SQLite): server time of the send POST at p50, in-process (target: under 30 ms).
- `run(database_url=postgresql://...)`: the same on PostgreSQL, then the load test: gunicorn, 50
  concurrent members sending for CAMPAIGNS_LOAD_SECONDS (default 60) seconds; target at least 100
  letters accepted per second, no errors, and every accepted letter in the outbox exactly once.
  CAMPAIGNS_LOAD_SECONDS=0 skips the load test.

Run alone: `.venv/bin/python -m tests.benchmarks.campaigns_bench [postgresql://...]`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

STORY = "I trained abroad and practised for eight years; I am ready to care for patients in Ontario today."
SUPPORTS_POSTGRES = True


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


def _populate(session, *, members: int, campaigns: int) -> dict:
    """A lead, `campaigns` live campaigns, `members` confirmed members spread over ridings with an address."""
    from datetime import datetime

    from sqlalchemy import select

    from crm.auth.models import User
    from crm.auth.passwords import hash_password
    from crm.campaigns import services
    from crm.members.models import MemberProfile
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import ElectedOffice

    session.info["audit_disabled"] = True
    ontario = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    lead = User(
        email="bench-lead@example.org",
        name="Bench Lead",
        password_hash=hash_password("bench password 1"),
        role="lead",
        email_confirmed_at=datetime.utcnow(),
    )
    session.add(lead)
    session.flush()
    slugs, template_ids = [], []
    for n in range(campaigns):
        campaign = services.create_campaign(
            session,
            actor_id=lead.id,
            name=f"Bench campaign {n}",
            hashtag="#skillstohelp",
            kind="own_representative",
            jurisdiction_id=ontario,
        )
        template, _ = services.save_template(
            session,
            campaign,
            subject="From {{ member_name }} {{ hashtag }}",
            actor_id=lead.id,
            blocks=[
                services.BlockInput(
                    "locked",
                    "Dear {{ representative_title }} {{ representative_name }},\n\nI live in "
                    "{{ riding_name }}, one of {{ members_in_riding }} ITPO members there.",
                ),
                services.BlockInput("editable", "Please fund more Practice-Ready Assessment spots. {{ hashtag }}"),
                services.BlockInput("personal", "Your story", min_length=50),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        slugs.append(campaign.slug)
        template_ids.append(template.id)
    districts = [
        d
        for d, uncertain in session.execute(
            select(ElectedOffice.district_id, ElectedOffice.contact_uncertain).where(ElectedOffice.current.is_(True))
        )
        if not uncertain
    ]
    shared_hash = hash_password("bench password 1")
    users = []
    for n in range(members):
        user = User(
            email=f"bench-member-{n}@example.org",
            name=f"Dr. Bench Member {n}",
            password_hash=shared_hash,
            role="member",
            email_confirmed_at=datetime.utcnow(),
        )
        session.add(user)
        users.append(user)
    session.flush()
    for n, user in enumerate(users):
        session.add(
            MemberProfile(
                user_id=user.id, postal_code="M5V 3L9", province="ON", district_id=districts[n % len(districts)]
            )
        )
    session.commit()
    return {
        "slugs": slugs,
        "template_ids": template_ids,
        "members": [(user.get_id(), user.profile.district_id if user.profile else None) for user in users],
    }


def _send_form(csrf: str, district_id: int, template_id: int) -> dict:
    return {
        "csrf_token": csrf,
        "recipient": f"district-{district_id}",
        "template_id": str(template_id),
        "block-3": STORY,
        "send": "Send my letter",
    }


def measure_send_in_process(database_url: str, instance: Path, letters: int = 200) -> dict:
    """Server time of each send POST (before_request → after_request), one letter per member."""
    from flask import g, request
    from flask_migrate import upgrade

    from crm import create_app
    from crm.cli import seed_reference_data
    from crm.extensions import db

    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "LETTER_RATE_LIMIT": "100000 per second",
            "SERVER_NAME": "localhost",
        }
    )
    timings: list[float] = []
    cpu: list[float] = []  # CPU time: what the send costs whatever else the machine is doing

    @app.before_request
    def _start():
        g.bench_started = time.perf_counter()
        g.bench_cpu = time.process_time()

    @app.after_request
    def _stop(response):
        if request.method == "POST":
            timings.append(time.perf_counter() - g.bench_started)
            cpu.append(time.process_time() - g.bench_cpu)
        return response

    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        data = _populate(db.session, members=letters, campaigns=1)
        db.session.remove()
    slug, template_id = data["slugs"][0], data["template_ids"][0]
    statuses: dict[str, int] = {}
    for user_id, district_id in data["members"]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        url = f"/campaigns/{slug}/write?recipient=district-{district_id}"
        page = client.get(url).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post(url, data=_send_form(csrf, district_id, template_id))
        ok = response.status_code == 302 and "/my/letters/" in response.headers.get("Location", "")
        statuses["sent" if ok else str(response.status_code)] = (
            statuses.get("sent" if ok else str(response.status_code), 0) + 1
        )
    with app.app_context():
        from sqlalchemy import func, select

        from crm.campaigns.models import Letter

        stored = db.session.scalar(select(func.count()).select_from(Letter))
        db.session.remove()
        db.engine.dispose()
    p50 = _percentile(timings, 0.5) * 1000
    result = {
        "letters": len(timings),
        "outcomes": statuses,
        "letters_stored": stored,
        "p50_ms": round(p50, 2),
        "p95_ms": round(_percentile(timings, 0.95) * 1000, 2),
        "cpu_p50_ms": round(_percentile(cpu, 0.5) * 1000, 2),
        "load_average": os.getloadavg()[0],
    }
    if database_url.startswith("sqlite"):  # the issue sets the 30 ms target on SQLite only
        result.update(target="send p50 < 30 ms server time", target_met=p50 < 30 and statuses.get("sent") == letters)
    else:
        result.update(target_met=statuses.get("sent") == letters)
    return result


def load_test(database_url: str, instance: Path, seconds: float, concurrency: int = 50) -> dict:
    """gunicorn on PostgreSQL, `concurrency` members each sending to a new campaign in a loop."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import func, select

    from crm import create_app
    from crm.campaigns.models import Letter
    from crm.extensions import db
    from crm.outbox.models import OutboundMessage
    from tests.benchmarks.gunicorn_server import gunicorn, prepare_database
    from tests.benchmarks.loadgen import hammer

    prepare_database(database_url, instance)
    campaigns = int(seconds * 10) + 20  # more than any one member can send in the time
    app = create_app(
        {
            "CRM_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
            "MAIL_WORKER_THREAD": False,
        }
    )
    with app.app_context():
        data = _populate(db.session, members=concurrency, campaigns=campaigns)
        db.session.remove()
    cookies, bodies = [], []
    serializer = app.session_interface.get_signing_serializer(app)
    for user_id, district_id in data["members"]:
        with app.test_request_context("/"):
            flask_session["_user_id"] = user_id
            flask_session["_fresh"] = True
            token = generate_csrf()
            cookies.append(f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask_session))}")
        bodies.append((token, district_id))
    paths = [f"/campaigns/{slug}/write" for slug in data["slugs"]]

    def body_for(worker: int, i: int) -> bytes:
        token, district_id = bodies[worker]
        template_id = data["template_ids"][(worker + i - 1) % len(paths)]
        return urlencode(_send_form(token, district_id, template_id)).encode()

    def headers_for(worker: int, i: int) -> dict:
        return {"Cookie": cookies[worker], "Content-Type": "application/x-www-form-urlencoded"}

    with gunicorn(database_url, instance, extra_env={"LETTER_RATE_LIMIT": "100000 per second"}) as port:
        result = hammer(
            "127.0.0.1",
            port,
            paths,
            concurrency=concurrency,
            seconds=seconds,
            method="POST",
            body_for=body_for,
            headers_for=headers_for,
        )
    with app.app_context():
        letters = db.session.scalar(select(func.count()).select_from(Letter))
        messages = db.session.scalar(
            select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")
        )
        linked = db.session.scalar(select(func.count(func.distinct(Letter.message_id))))
        db.session.remove()
        db.engine.dispose()
    # A 302 is either a new letter or the redirect to one already sent (a member writing to the same
    # campaign again): count letters actually stored, each with exactly one outbox message.
    accepted = letters
    rate = accepted / result["seconds"] if result["seconds"] else 0.0
    return {
        **result,
        "concurrency": concurrency,
        "letters_accepted_per_second": round(rate, 1),
        "letters_stored": letters,
        "outbox_letter_messages": messages,
        "distinct_linked_messages": linked,
        "target": ">= 100 letters/s, no errors, each accepted letter in the outbox exactly once",
        "redirects_to_an_existing_letter": result["statuses"].get("302", 0) - letters,
        "target_met": (
            rate >= 100
            and result["errors"] == 0
            and set(result["statuses"]) == {"302"}
            and letters == messages == linked
        ),
    }


def run(database_url: str | None = None, letters: int = 200) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        if database_url and database_url.startswith("postgres"):
            from tests.conftest import reset_postgres

            reset_postgres(database_url)
        url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        result = {"database": url.split(":")[0], "send": measure_send_in_process(url, instance, letters)}
        seconds = float(os.environ.get("CAMPAIGNS_LOAD_SECONDS", "60"))
        if database_url and database_url.startswith("postgres") and seconds > 0:
            result["load"] = load_test(database_url, instance, seconds)
        result["target_met"] = result["send"]["target_met"] and result.get("load", {}).get("target_met", True)
        return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
