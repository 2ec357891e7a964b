"""CPU per letter send, in this process: the product's send against its floor (tests/benchmarks/floor_app.py).

The throughput ratio under gunicorn is noisy on a shared machine; the CPU a send costs is not. Both paths run in
one app (the one the load test serves, in its development config), through the WSGI stack with the same cookie
and form body, alternating one by one; each sample is `time.process_time()` around one request. Only sends that
redirect to the letter's page (a stored letter) count; every member writes to a campaign it has not written to.

Run: `.venv/bin/python -m tests.benchmarks.send_cpu [postgresql+psycopg://…/<db>] [sends per kind]` (the database's
public schema is dropped and rebuilt). Prints JSON: median and mean CPU ms per send, product and floor, their ratio,
and the load average. SEND_CPU_PROFILE=path writes a cProfile of the product's sends there.
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean, median
from urllib.parse import urlencode

MEMBERS = 20


def _app(database_url: str, instance: Path):
    from tests.benchmarks.floor_app import make_app

    return make_app(
        {
            "CRM_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench-secret-key",
            "MAIL_WORKER_THREAD": False,
            "LETTER_RATE_LIMIT": "100000 per second",
        }
    )


def _fixtures(app, database_url: str, sends: int):
    """Members with a cookie and a CSRF token each, and enough campaigns that none writes to one twice."""
    from flask import session as flask_session
    from flask_migrate import upgrade
    from flask_wtf.csrf import generate_csrf

    from crm.cli import seed_reference_data
    from crm.extensions import db
    from tests.benchmarks.campaigns_bench import _clone_campaigns, _populate

    if database_url.startswith("postgres"):
        from tests.conftest import reset_postgres

        reset_postgres(database_url)
    per_member = sends // MEMBERS + 5
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        data = _populate(db.session, members=MEMBERS, campaigns=1)
        product = _clone_campaigns(db.session, data["slugs"][0], per_member, "cpu", with_templates=True)
        floor = _clone_campaigns(db.session, data["slugs"][0], per_member, "cpufloor", with_templates=False)
        db.session.remove()
    serializer = app.session_interface.get_signing_serializer(app)
    members = []
    for (user_id, district_id), mpp in zip(data["members"], data["mpps"], strict=True):
        with app.test_request_context("/"):
            flask_session["_user_id"] = user_id
            flask_session["_fresh"] = True
            token = generate_csrf()
            cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask_session))}"
        members.append({"district_id": district_id, "mpp": mpp, "cookie": cookie, "token": token})
    return members, product, floor


def _request(kind: str, member: dict, campaign: tuple) -> tuple[str, bytes, dict]:
    from tests.benchmarks.campaigns_bench import _send_form

    slug, campaign_id, template_id = campaign
    body = _send_form(member["token"], member["district_id"], template_id)
    if kind == "product":
        path = f"/campaigns/{slug}/write"
    else:
        path = "/bench/letter-floor"
        body.update(campaign_id=str(campaign_id), person_id=str(member["mpp"]))
    headers = {"Cookie": member["cookie"], "Content-Type": "application/x-www-form-urlencoded"}
    return path, urlencode(body).encode(), headers


def measure(database_url: str, sends: int = 400, batch: int = 20) -> dict:
    """`sends` sends of each kind (after a warm-up), alternating: CPU ms per stored letter; `batch`: how many
    consecutive sends of a kind make the batches whose cheapest mean is reported."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(database_url, Path(tmp))
        members, product, floor = _fixtures(app, database_url, sends + 2 * MEMBERS)
        client = app.test_client(use_cookies=False)
        used = {"product": 0, "floor": 0}
        cpu: dict[str, list[float]] = {"product": [], "floor": []}
        refused: dict[str, dict] = {"product": {}, "floor": {}}
        profile = cProfile.Profile(time.process_time) if os.environ.get("SEND_CPU_PROFILE") else None

        def send(kind: str, keep: bool) -> None:
            n = used[kind]
            used[kind] += 1
            member = members[n % MEMBERS]
            campaigns = product if kind == "product" else floor
            path, body, headers = _request(kind, member, campaigns[n // MEMBERS])
            profiling = profile is not None and keep and kind == "product"
            started = time.process_time()
            if profiling:
                profile.enable()
            response = client.post(path, data=body, headers=headers)
            if profiling:
                profile.disable()
            spent = time.process_time() - started
            stored = response.status_code == 302 and "/my/letters/" in response.headers.get("Location", "")
            if stored and keep:
                cpu[kind].append(spent * 1000)
            elif not stored:
                refused[kind][str(response.status_code)] = refused[kind].get(str(response.status_code), 0) + 1

        load = os.getloadavg()[0]
        for _ in range(MEMBERS * 2):  # warm both paths: caches, pool, statements
            send("product", False)
            send("floor", False)
        for done in range(sends):  # one of each in turn, so both see the same machine
            for kind in ("product", "floor") if done % 2 else ("floor", "product"):
                send(kind, True)
        if profile is not None:
            profile.dump_stats(os.environ["SEND_CPU_PROFILE"])
        with app.app_context():
            from crm.extensions import db

            db.engine.dispose()
    result = {
        kind: {
            "sends": len(values),
            "median_ms": round(median(values), 3),
            "mean_ms": round(mean(values), 3),
            "p25_ms": round(sorted(values)[len(values) // 4], 3),
            "p10_ms": round(sorted(values)[len(values) // 10], 3),
            # the cheapest batch's mean: the least disturbed by other work on the machine
            "best_batch_ms": round(min(mean(values[i : i + batch]) for i in range(0, len(values), batch)), 3),
            "refused": refused[kind],
        }
        for kind, values in cpu.items()
    }
    result["product_over_floor"] = round(result["product"]["median_ms"] / result["floor"]["median_ms"], 3)
    result["floor_over_product"] = round(result["floor"]["median_ms"] / result["product"]["median_ms"], 3)
    for figure in ("p25", "p10", "best_batch"):
        ratio = result["floor"][f"{figure}_ms"] / result["product"][f"{figure}_ms"]
        result[f"{figure}_floor_over_product"] = round(ratio, 3)
    result["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return result


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/letters_h_b"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    print(json.dumps(measure(url, count), indent=2))
