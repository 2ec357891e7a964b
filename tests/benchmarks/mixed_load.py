"""Issue 9's load test: gunicorn with several workers, a mixed load on loopback, and (issue 23) its floor.

Members read campaign pages and send letters while the committee browses the directory, the
interaction log and its dashboard. Reports sustained requests per second, p50/p95/p99 latency and
the error rate. Target: no errors, p95 under 200 ms at the rate the machine sustains.

The floor is the same mix with each request replaced by its floor on the same warm server
(tests/benchmarks/floor_app.py): every page GET by its own SQL through the driver (`/bench/sql-floor`, the
statements a warm request of that page runs, captured first), every send by `/bench/letter-floor` (the send's two
INSERTs). `make bench` (`run()` without `seconds`) alternates three rounds of each (3 s a round with BENCH_QUICK=1,
10 s otherwise); target: the mix at >= 0.5 of its floor's requests/s. `run(seconds=…)` without `rounds` is one
product round and no floor: the suite runs a 4-second form of it (tests/test_load_short.py).
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from tests.benchmarks.loadgen import percentile


def _cookie_and_token(app, user_id: str) -> tuple[str, str]:
    """A signed session cookie for this user and its CSRF token, as a browser would hold after logging in."""
    from tests.benchmarks.sql_floor import session_cookie

    return session_cookie(app, user_id)


def _fixtures(app, senders: int, campaigns: int, floor_campaigns: int) -> dict:
    """Members who send, live campaigns (and bare copies for the floor's letters), a committee member."""
    from datetime import datetime

    import pyotp
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.auth.passwords import hash_password
    from crm.campaigns.models import Campaign
    from crm.extensions import db
    from tests.benchmarks.campaigns_bench import _clone_campaigns, _populate

    with app.app_context():
        data = _populate(db.session, members=senders, campaigns=campaigns)
        data["floor"] = (
            _clone_campaigns(db.session, data["slugs"][0], floor_campaigns, "floor", with_templates=False)
            if floor_campaigns
            else []
        )
        committee = User(
            email="load-committee@example.org",
            name="Load Committee",
            role="committee",
            password_hash=hash_password("load password 1"),
            email_confirmed_at=datetime.utcnow(),
            totp_secret=pyotp.random_base32(),
            mfa_enabled_at=datetime.utcnow(),
        )
        db.session.add(committee)
        db.session.commit()
        data["committee_id"] = committee.get_id()
        data["campaign_ids"] = dict(db.session.execute(select(Campaign.slug, Campaign.id)).all())
        db.session.remove()
    return data


def _drive(port: int, plan, concurrency: int, seconds: float) -> tuple[dict, dict, list, float]:
    """`concurrency` keep-alive clients following `plan(worker, i)` for `seconds`: latencies and statuses by kind."""
    results: dict[str, list[float]] = {"read": [], "send_letter": [], "committee": []}
    statuses: dict[str, dict[int, int]] = {kind: {} for kind in results}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(worker: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        i = 0
        while time.perf_counter() < deadline:
            method, path, body, headers, kind = plan(worker, i)
            i += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                with lock:
                    results[kind].append(elapsed)
                    statuses[kind][response.status] = statuses[kind].get(response.status, 0) + 1
                    if response.status >= 400:
                        errors.append(f"{kind} {method} {path} -> {response.status}")
            except Exception as error:
                with lock:
                    errors.append(f"{kind} {method} {path}: {type(error).__name__}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, statuses, errors, time.perf_counter() - began


def _summary(results: dict, statuses: dict, errors: list, elapsed: float) -> dict:
    everything = [t for values in results.values() for t in values]
    total = len(everything)
    return {
        "seconds": round(elapsed, 1),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "p50_ms": round(percentile(everything, 0.50) * 1000, 1),
        "p95_ms": round(percentile(everything, 0.95) * 1000, 1),
        "p99_ms": round(percentile(everything, 0.99) * 1000, 1),
        "error_rate": round(len(errors) / total, 4) if total else None,
        "errors": len(errors),
        "first_errors": errors[:5],
        "by_kind": {
            kind: {
                "requests": len(values),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
                "statuses": {str(k): v for k, v in sorted(statuses[kind].items())},
            }
            for kind, values in results.items()
        },
    }


def _merge(rounds: list[tuple]) -> tuple:
    """Several rounds' (results, statuses, errors, elapsed) as one."""
    results: dict[str, list[float]] = {"read": [], "send_letter": [], "committee": []}
    statuses: dict[str, dict[int, int]] = {kind: {} for kind in results}
    errors, elapsed = [], 0.0
    for r, s, e, t in rounds:
        for kind in results:
            results[kind] += r[kind]
            for code, count in s[kind].items():
                statuses[kind][code] = statuses[kind].get(code, 0) + count
        errors += e
        elapsed += t
    return results, statuses, errors, elapsed


def run(
    database_url: str | None = None,
    seconds: float | None = None,
    concurrency: int = 24,
    workers: int = 3,
    rounds: int | None = None,
) -> dict:
    """Without `seconds` (make bench): `rounds` (3) rounds of the mix and of its floor, alternating."""
    import os

    from crm.extensions import db
    from tests.benchmarks import sql_floor
    from tests.benchmarks.campaigns_bench import STORY
    from tests.benchmarks.floor_app import make_app
    from tests.benchmarks.gunicorn_server import gunicorn, prepare_database

    if seconds is None:
        seconds, rounds = (3.0 if os.environ.get("BENCH_QUICK") == "1" else 10.0), rounds or 3
    with_floor = bool(rounds)
    rounds = rounds or 1
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = database_url or f"sqlite:///{instance / 'load.sqlite3'}"
        prepare_database(database_url, instance)
        app = make_app(sql_floor.bench_config(database_url, instance))
        senders = max(1, concurrency // 4)
        floor_campaigns = int(seconds * rounds * 40) + 20 if with_floor else 0  # no member writes to one twice
        data = _fixtures(app, senders, int(seconds * rounds * 4) + 20, floor_campaigns)
        slugs, template_ids = data["slugs"], data["template_ids"]
        member_sessions = [(_cookie_and_token(app, uid), district) for uid, district in data["members"]]
        committee_cookie, _ = _cookie_and_token(app, data["committee_id"])

        readers = [f"/campaigns/{slug}" for slug in slugs[:5]] + [
            "/",
            "/proposals",
            "/asks",
            "/programs/",
            "/api/v1/lookup?postal_code=M5V3L9",
            "/api/v1/representatives?province=ON&limit=20",
        ]
        committee_pages = [
            "/directory/people",
            "/directory/organizations",
            "/interactions/",
            "/dashboards/committee",
            "/directory/people?q=smith",
        ]
        floor_of: dict[str, str] = {}
        if with_floor:  # every page's own SQL, captured warm, as the page's floor
            for n, path in enumerate(readers):
                floor_of[path] = sql_floor.save(instance, f"mixed-read-{n}", sql_floor.capture(app, path))
            for n, path in enumerate(committee_pages):
                captured = sql_floor.capture(app, path, {"Cookie": committee_cookie})
                floor_of[path] = sql_floor.save(instance, f"mixed-committee-{n}", captured)
        mode = {"now": "product"}
        sent = {"product": [0] * senders, "floor": [0] * senders}

        def plan(worker: int, i: int):
            """(method, path, body, headers, kind) for this client's i-th request, in the current mode."""
            floor = mode["now"] == "floor"
            if worker < senders:
                (cookie, token), district = member_sessions[worker]
                n = sent[mode["now"]][worker]
                sent[mode["now"]][worker] += 1
                headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
                form = {"csrf_token": token, "recipient": f"district-{district}", "block-3": STORY, "send": "Send"}
                if floor:
                    _, campaign_id, template_id = data["floor"][n % len(data["floor"])]
                    form.update(template_id=str(template_id), campaign_id=str(campaign_id))
                    form.update(person_id=str(data["mpps"][worker]))
                    return "POST", "/bench/letter-floor", urlencode(form).encode(), headers, "send_letter"
                k = (n + worker) % len(slugs)
                form.update(template_id=str(template_ids[k]))
                return "POST", f"/campaigns/{slugs[k]}/write", urlencode(form).encode(), headers, "send_letter"
            if worker < senders + max(1, concurrency // 6):
                path = committee_pages[i % len(committee_pages)]
                return "GET", floor_of[path] if floor else path, None, {"Cookie": committee_cookie}, "committee"
            path = readers[(i + worker) % len(readers)]
            return "GET", floor_of[path] if floor else path, None, {}, "read"

        measured = {"product": [], "floor": []}
        loads = []
        env = {"LETTER_RATE_LIMIT": "100000 per second", "LOOKUP_CACHE_SECONDS": "60"}
        app_module = sql_floor.APP_MODULE
        with gunicorn(database_url, instance, workers=workers, threads=4, extra_env=env, app_module=app_module) as port:
            if with_floor:  # warm both on every worker
                for which in ("product", "floor"):
                    mode["now"] = which
                    _drive(port, plan, concurrency, 1)
            for n in range(rounds):
                order = ("product", "floor") if n % 2 == 0 else ("floor", "product")
                for which in order if with_floor else ("product",):
                    mode["now"] = which
                    loads.append(round(os.getloadavg()[0], 2))
                    measured[which].append(_drive(port, plan, concurrency, seconds))
        with app.app_context():
            db.engine.dispose()

    summary = {
        "database": database_url.split(":")[0],
        "concurrency": concurrency,
        "gunicorn": f"{workers} gthread workers x 4 threads",
        **_summary(*_merge(measured["product"])),
        "target": "no errors, p95 < 200 ms; with the floor, >= 0.5 of its requests/s",
    }
    summary["target_met"] = summary["errors"] == 0 and summary["p95_ms"] < 200
    if with_floor:
        summary.update(_floor_figures(measured, loads))
        summary["target_met"] = summary["target_met"] and all(f["met"] for f in summary["floors"])
    return summary


def _floor_figures(measured: dict, loads: list[float]) -> dict:
    """The mix's requests/s per round against its floor's, as a `floors` entry."""
    from tests.benchmarks.sql_floor import floor_entry, spread

    product = [len([t for v in r.values() for t in v]) / elapsed for r, _, _, elapsed in measured["product"]]
    floor = [len([t for v in r.values() for t in v]) / elapsed for r, _, _, elapsed in measured["floor"]]
    floor_summary = _summary(*_merge(measured["floor"]))
    clean = floor_summary["errors"] == 0
    figures = {
        "rps": spread(product),
        "floor_rps": spread(floor),
        "ratio_to_floor": spread([p / f for p, f in zip(product, floor, strict=True) if f]),
        "load_average": spread(loads),
        "clean": clean,
    }
    entry = floor_entry("mixed load req/s", figures, "each request's floor (its SQL; a send's two INSERTs)", 0.5)
    return {"floors": [entry], "floor_mix": floor_summary, "rounds_rps": figures}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
