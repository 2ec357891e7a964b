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

from tests.benchmarks.sql_floor import spread

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
    # Every member's riding has a current MPP with an address a letter can go to (the campaigns' choice), so no
    # send is stopped for a fixture reason.
    offices = session.scalars(select(ElectedOffice).where(ElectedOffice.current.is_(True))).all()
    with_address = sorted(
        (o.district_id, o.person_id) for o in offices if o.mail_address and o.legislature_email and o.district_id
    )
    districts = [district for district, _ in with_address]
    mpp_of = dict(with_address)
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
        "mpps": [mpp_of[user.profile.district_id] for user in users],
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


def _clone_campaigns(session, slug: str, count: int, prefix: str, with_templates: bool) -> list[tuple[str, int, int]]:
    """`count` copies of the campaign at `slug` (with copies of its template and blocks when `with_templates`,
    else sharing its template), written with a few multi-row INSERTs: (slug, campaign id, template id) each."""
    from sqlalchemy import insert, select

    from crm.campaigns.models import Campaign, LetterBlock, LetterTemplate

    campaigns, templates, blocks = Campaign.__table__, LetterTemplate.__table__, LetterBlock.__table__
    base = dict(session.execute(select(campaigns).where(campaigns.c.slug == slug)).mappings().one())
    template = dict(session.execute(select(templates).where(templates.c.campaign_id == base["id"])).mappings().one())
    block_rows = [
        dict(r) for r in session.execute(select(blocks).where(blocks.c.template_id == template["id"])).mappings()
    ]
    rows = [
        {k: v for k, v in base.items() if k != "id"} | {"slug": f"{prefix}-{n}", "name": f"{base['name']} {prefix} {n}"}
        for n in range(count)
    ]
    ids = list(session.scalars(insert(campaigns).returning(campaigns.c.id, sort_by_parameter_order=True), rows))
    if not with_templates:
        session.commit()
        return [(row["slug"], cid, template["id"]) for row, cid in zip(rows, ids, strict=True)]
    template_ids = list(
        session.scalars(
            insert(templates).returning(templates.c.id, sort_by_parameter_order=True),
            [{k: v for k, v in template.items() if k != "id"} | {"campaign_id": cid} for cid in ids],
        )
    )
    session.execute(
        insert(blocks),
        [{k: v for k, v in b.items() if k != "id"} | {"template_id": tid} for tid in template_ids for b in block_rows],
    )
    session.commit()
    return [(row["slug"], cid, tid) for row, cid, tid in zip(rows, ids, template_ids, strict=True)]


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def load_test(database_url: str, instance: Path, seconds: float, concurrency: int = 50, rounds: int = 3) -> dict:
    """Letters under load against their floor, on one warm gunicorn (2 workers x 4 threads): `rounds` rounds
    of the product's send and as many of the floor (tests/benchmarks/floor_app.py: the same two inserts in one
    transaction, the same form body, cookie and CSRF check), alternating, from the same load generator.

    Every member writes each request to a campaign it has not written to yet (counters kept across rounds),
    so every product answer should store a letter: the letters stored are counted per round, and each answer
    that stored none is named by its status.
    """
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import func, select

    from crm.campaigns.models import Letter
    from crm.extensions import db
    from crm.outbox.models import OutboundMessage
    from tests.benchmarks.floor_app import make_app
    from tests.benchmarks.gunicorn_server import gunicorn, prepare_database
    from tests.benchmarks.loadgen import hammer

    prepare_database(database_url, instance)
    app = make_app(
        {
            "CRM_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
            "MAIL_WORKER_THREAD": False,
        }
    )
    # Enough campaigns that no member writes to one twice: the product at up to 25 letters/s a member, the
    # floor at up to 80, and the warm-up. (At 10, the fastest members, near twice the average of 8, ran out in
    # the last round: their repeats were refused as duplicates, 22 of 2,067 answers.) A repeat is counted.
    per_member_product = int(25 * seconds * rounds) + 50
    per_member_floor = int(80 * seconds * rounds) + 100
    with app.app_context():
        data = _populate(db.session, members=concurrency, campaigns=1)
        product = _clone_campaigns(db.session, data["slugs"][0], per_member_product, "load", with_templates=True)
        floor = _clone_campaigns(db.session, data["slugs"][0], per_member_floor, "floor", with_templates=False)
        db.session.remove()
    cookies, tokens = [], []
    serializer = app.session_interface.get_signing_serializer(app)
    for user_id, _ in data["members"]:
        with app.test_request_context("/"):
            flask_session["_user_id"] = user_id
            flask_session["_fresh"] = True
            tokens.append(generate_csrf())
            cookies.append(f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask_session))}")
    sent = {"product": [0] * concurrency, "floor": [0] * concurrency}
    repeats = {"product": 0, "floor": 0}  # requests to a campaign the member already wrote to (out of campaigns)
    mode = {"now": "product"}

    def request_for(worker: int, i: int):
        which = mode["now"]
        n = sent[which][worker]
        sent[which][worker] += 1
        if n >= len(product if which == "product" else floor):
            repeats[which] += 1
        district_id = data["members"][worker][1]
        headers = {"Cookie": cookies[worker], "Content-Type": "application/x-www-form-urlencoded"}
        if which == "product":
            slug, _, template_id = product[n % len(product)]
            body = _send_form(tokens[worker], district_id, template_id)
            return f"/campaigns/{slug}/write", urlencode(body).encode(), headers
        _, campaign_id, template_id = floor[n % len(floor)]
        body = _send_form(tokens[worker], district_id, template_id)
        body.update(campaign_id=str(campaign_id), person_id=str(data["mpps"][worker]))
        return "/bench/letter-floor", urlencode(body).encode(), headers

    def letters_now() -> int:
        with app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Letter))
            db.session.remove()
            return count

    rounds_out = []
    env = {"LETTER_RATE_LIMIT": "100000 per second"}
    with gunicorn(database_url, instance, extra_env=env, app_module="tests.benchmarks.floor_app:make_app()") as port:
        for which in ("product", "floor"):  # warm both paths on every worker
            mode["now"] = which
            hammer("127.0.0.1", port, [], concurrency=concurrency, seconds=1, method="POST", request_for=request_for)
        for n in range(rounds):
            for which in ("floor", "product") if n % 2 else ("product", "floor"):
                mode["now"] = which
                load, before, repeated = _load_average(), letters_now(), repeats[which]
                result = hammer(
                    "127.0.0.1",
                    port,
                    [],
                    concurrency=concurrency,
                    seconds=seconds,
                    method="POST",
                    request_for=request_for,
                )
                stored = letters_now() - before
                repeated = repeats[which] - repeated
                rounds_out.append(
                    {
                        "kind": which,
                        "round": n + 1,
                        "load_average": load,
                        "letters_per_s": round(stored / result["seconds"], 1),
                        "letters_stored": stored,
                        "answers": result["requests"],
                        "statuses": result["statuses"],
                        "redirects": result["redirects"],  # …/letters/<n>/share: a letter; …/write: choose again
                        "errors": result["errors"],
                        "first_errors": result["first_errors"],
                        "p50_ms": result["p50_ms"],
                        "p95_ms": result["p95_ms"],
                        # answers that stored no letter, by status: a 302 that stored none is a redirect to a
                        # letter already sent, explained only by a member out of campaigns (`repeated`)
                        "repeated_campaigns": repeated,
                        "answers_storing_none": {
                            "redirect_to_an_existing_letter": max(0, result["statuses"].get("302", 0) - stored),
                            **{code: count for code, count in result["statuses"].items() if code != "302"},
                            "transport_errors": result["errors"],
                        },
                    }
                )
    with app.app_context():
        letters = db.session.scalar(select(func.count()).select_from(Letter).where(Letter.template_id != floor[0][2]))
        messages = db.session.scalar(
            select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")
        )
        all_letters = db.session.scalar(select(func.count()).select_from(Letter))
        linked = db.session.scalar(select(func.count(func.distinct(Letter.message_id))))
        db.session.remove()
        db.engine.dispose()
    product_rates = [r["letters_per_s"] for r in rounds_out if r["kind"] == "product"]
    floor_rates = [r["letters_per_s"] for r in rounds_out if r["kind"] == "floor"]
    ratios = [p / f for p, f in zip(product_rates, floor_rates, strict=True) if f]
    ratio = spread(ratios)
    unexplained = sum(
        max(0, r["answers_storing_none"]["redirect_to_an_existing_letter"] - r["repeated_campaigns"])
        for r in rounds_out
        if r["kind"] == "product"
    )
    clean = all(set(r["statuses"]) == {"302"} and r["errors"] == 0 for r in rounds_out)
    floors = [
        {
            "what": f"letters/s, {concurrency} members sending",
            "figure": spread(product_rates),
            "floor_name": "the same two INSERTs, bare",
            "floor": spread(floor_rates),
            "ratio": ratio,
            "target": ">= 0.5",
            "met": ratio["median"] is not None and ratio["median"] >= 0.5,
            "load": spread([r["load_average"] for r in rounds_out]),
        }
    ]
    return {
        "floors": floors,
        "server": "gunicorn, 2 gthread workers x 4 threads, loopback; tests.benchmarks.floor_app:make_app()",
        "concurrency": concurrency,
        "round_seconds": seconds,
        "rounds": rounds_out,
        "letters_per_s": spread(product_rates),
        "floor_letters_per_s": spread(floor_rates),
        "floor": "POST /bench/letter-floor: the send's two INSERTs (outbox message, letter) in one transaction",
        "ratio_to_floor": ratio,
        "load_average": spread([r["load_average"] for r in rounds_out]),
        "letters_stored": all_letters,
        "product_letters_stored": letters,
        "outbox_letter_messages": messages,
        "distinct_linked_messages": linked,
        "answers_storing_none_unexplained": unexplained,
        "target": "letters/s >= 0.5 of the floor (median of the rounds' ratios), no errors, every answer a stored "
        "letter, each letter once in the outbox",
        "target_met": bool(
            ratio["median"] is not None
            and ratio["median"] >= 0.5
            and clean
            and unexplained == 0
            and all_letters == messages == linked
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
        quick = os.environ.get("BENCH_QUICK") == "1"
        seconds = float(os.environ.get("CAMPAIGNS_LOAD_SECONDS", "5" if quick else "20"))
        if database_url and database_url.startswith("postgres") and seconds > 0:
            result["load"] = load_test(database_url, instance, seconds)
            result["floors"] = result["load"]["floors"]
        result["target_met"] = result["send"]["target_met"] and result.get("load", {}).get("target_met", True)
        return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
