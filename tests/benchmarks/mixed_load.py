"""Issue 9's load test: gunicorn with several workers, a mixed load on loopback.

Members read campaign pages and send letters while the committee browses the directory, the
interaction log and its dashboard. Reports sustained requests per second, p50/p95/p99 latency and
the error rate. Target: no errors, p95 under 200 ms at the rate the machine sustains.
`run(database_url=None, seconds=30)`; the suite runs a 4-second form of it (tests/test_load_short.py).
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
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context("/"):
        flask_session["_user_id"], flask_session["_fresh"] = user_id, True
        flask_session["auth_at"] = time.time()
        token = generate_csrf()
        cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask_session))}"
    return cookie, token


def run(database_url: str | None = None, seconds: float = 30.0, concurrency: int = 24, workers: int = 3) -> dict:
    from datetime import datetime

    import pyotp

    from crm import create_app
    from crm.auth.models import User
    from crm.auth.passwords import hash_password
    from crm.extensions import db
    from tests.benchmarks.campaigns_bench import STORY, _populate
    from tests.benchmarks.gunicorn_server import gunicorn, prepare_database

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = database_url or f"sqlite:///{instance / 'load.sqlite3'}"
        prepare_database(database_url, instance)
        app = create_app(
            {
                "CRM_ENV": "development",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": instance,
                "SECRET_KEY": "bench-secret-key",
                "MAIL_WORKER_THREAD": False,
            }
        )
        senders = max(1, concurrency // 4)
        with app.app_context():
            data = _populate(db.session, members=senders, campaigns=int(seconds * 4) + 20)
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
            committee_id = committee.get_id()
            slugs, template_ids = data["slugs"], data["template_ids"]
            db.session.remove()
        member_sessions = [(_cookie_and_token(app, uid), district) for uid, district in data["members"]]
        committee_cookie, _ = _cookie_and_token(app, committee_id)

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

        def plan(worker: int, i: int):
            """(method, path, body, headers, kind) for this client's i-th request."""
            if worker < senders:
                (cookie, token), district = member_sessions[worker]
                n = (i + worker) % len(slugs)
                body = urlencode(
                    {
                        "csrf_token": token,
                        "recipient": f"district-{district}",
                        "template_id": str(template_ids[n]),
                        "block-3": STORY,
                        "send": "Send",
                    }
                ).encode()
                return (
                    "POST",
                    f"/campaigns/{slugs[n]}/write",
                    body,
                    {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
                    "send_letter",
                )
            if worker < senders + max(1, concurrency // 6):
                return "GET", committee_pages[i % len(committee_pages)], None, {"Cookie": committee_cookie}, "committee"
            return "GET", readers[(i + worker) % len(readers)], None, {}, "read"

        results: dict[str, list[float]] = {"read": [], "send_letter": [], "committee": []}
        statuses: dict[str, dict[int, int]] = {kind: {} for kind in results}
        errors: list[str] = []
        lock = threading.Lock()

        with gunicorn(
            database_url,
            instance,
            workers=workers,
            threads=4,
            extra_env={"LETTER_RATE_LIMIT": "100000 per second", "LOOKUP_CACHE_SECONDS": "60"},
        ) as port:
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
            elapsed = time.perf_counter() - began
        with app.app_context():
            db.engine.dispose()

    everything = [t for values in results.values() for t in values]
    total = len(everything)
    summary = {
        "database": database_url.split(":")[0],
        "seconds": round(elapsed, 1),
        "concurrency": concurrency,
        "gunicorn": f"{workers} gthread workers x 4 threads",
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
        "target": "no errors, p95 < 200 ms",
    }
    summary["target_met"] = summary["errors"] == 0 and summary["p95_ms"] < 200
    return summary


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None, seconds=30), indent=2))
