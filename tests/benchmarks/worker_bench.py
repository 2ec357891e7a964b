"""Issue 23's worker floor: the outbox worker against the bare sendgrid-python client, in alternating rounds.

The product: `run_worker(app, once=True)`, what `flask crm worker --once` runs, handing N queued letters
(single messages) to the fake SendGrid with MAIL_WORKER_CONCURRENCY sending threads. The floor:
`sendgrid.SendGridAPIClient` with its host pointed at the same fake server, posting the same N mails (the
JSON the product's SendGridMailer builds for those letters) from a thread pool of the same size, with no
database. Both at 0 ms and 100 ms added latency, three rounds of each, floor first in odd rounds.

A round counts only if every message reached the fake server, was answered 202 and arrived exactly once
(and, for the product, the outbox marked every letter accepted). Target: product / floor >= 1.0.
Run alone: `python -m tests.benchmarks.worker_bench [postgresql://...]`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.benchmarks.outbox_bench import _check_delivered, _FakeServer, _queue_letters
from tests.benchmarks.sql_floor import spread

CONCURRENCY = 8  # MAIL_WORKER_CONCURRENCY's default
TARGET = 1.0
FLOOR_NAME = "sendgrid-python, thread pool, no database"


def _figures(n: int, started: tuple[float, float]) -> dict:
    """Messages per second since `started` (wall clock, CPU clock), and this process's CPU per message (not
    the fake server's, which runs in its own process, nor PostgreSQL's)."""
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    return {"messages_per_s": round(n / wall, 1), "cpu_ms_per_message": round(cpu * 1000 / n, 3)}


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def floor_bodies(app, n: int) -> list[dict]:
    """The request bodies the product's SendGridMailer builds for the letters `_queue_letters` queues, with
    message ids 1..n: the floor posts the same mails, built before it is timed (it has no database)."""
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.models import OutboundMessage
    from tests.outbox.fake_sendgrid import API_KEY

    class Capture(SendGridMailer):
        def _post(self, body: dict) -> str:
            bodies.append(body)
            return "captured"

    bodies: list[dict] = []
    mailer = Capture(API_KEY, "http://127.0.0.1:9", timeout=1)
    with app.app_context():
        for i in range(n):
            mailer.send(
                OutboundMessage(
                    id=i + 1,
                    kind="letter",
                    to_address=f"mpp{i % 124}@example.org",
                    from_address="ITPO <letters@itpo.example>",
                    reply_to=f"member{i}@example.org",
                    subject=f"Letter {i}",
                    text_body="Dear MPP, " + "x" * 1500,
                )
            )
    return bodies


def check_received(received: Counter, n: int, what: str) -> None:
    """Every message 1..n (by its custom arg) arrived, was answered 202, and exactly once."""
    twice = sum(1 for count in received.values() if count > 1)
    assert set(received) == set(range(1, n + 1)) and not twice, (
        f"{what}: {len(received)} of {n} messages received, {twice} more than once"
    )


def floor_client():
    """sendgrid.SendGridAPIClient: the floor's client, which the product does not depend on."""
    try:
        from sendgrid import SendGridAPIClient
    except ModuleNotFoundError:
        raise RuntimeError("the worker's floor needs sendgrid-python: pip install 'sendgrid>=6.12,<7'") from None
    return SendGridAPIClient


def floor_round(server, bodies: list[dict], concurrency: int) -> dict:
    """The bare client posts every body from `concurrency` threads; messages per second, delivery checked."""
    from tests.outbox.fake_sendgrid import API_KEY

    client = floor_client()(api_key=API_KEY, host=server.host)
    server.received()
    started = _clocks()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        statuses = Counter(response.status_code for response in pool.map(client.send, bodies))
    figures = _figures(len(bodies), started)
    assert statuses == {202: len(bodies)}, f"floor answers: {dict(statuses)}"
    check_received(server.received(), len(bodies), "floor")
    return figures


def product_round(app, server, n: int, concurrency: int) -> dict:
    """`n` letters queued, then the worker as `flask crm worker --once` runs it; messages per second, with
    every letter received once and marked accepted."""
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.worker import run_worker
    from tests.outbox.fake_sendgrid import API_KEY

    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, server.host, timeout=10)
    _queue_letters(app, n)
    server.received()
    started = _clocks()
    handled = run_worker(app, once=True, concurrency=concurrency)
    figures = _figures(n, started)
    assert handled == n, f"the worker handled {handled} of {n} messages"
    _check_delivered(app, server, n)
    return figures


def alternate(app, server, n: int, *, rounds: int, concurrency: int) -> dict:
    """`rounds` rounds of floor and product on one server (after a warm-up of each), alternating which goes
    first; medians, ranges and the load average before every round."""
    bodies = floor_bodies(app, n)
    floor_round(server, bodies[: min(n, 50)], concurrency)
    product_round(app, server, min(n, 50), concurrency)
    out = []
    for number in range(rounds):
        for kind in ("floor", "product") if number % 2 == 0 else ("product", "floor"):
            load = round(os.getloadavg()[0], 2)
            figures = (
                floor_round(server, bodies, concurrency)
                if kind == "floor"
                else product_round(app, server, n, concurrency)
            )
            out.append({"kind": kind, "round": number + 1, "load_average": load, **figures})
    floor = [r["messages_per_s"] for r in out if r["kind"] == "floor"]
    product = [r["messages_per_s"] for r in out if r["kind"] == "product"]
    return {
        "messages": n,
        "rounds": out,
        "messages_per_s": spread(product),
        "floor_messages_per_s": spread(floor),
        "ratio_to_floor": spread([p / f for p, f in zip(product, floor, strict=True)]),
        "cpu_ms_per_message": spread([r["cpu_ms_per_message"] for r in out if r["kind"] == "product"]),
        "floor_cpu_ms_per_message": spread([r["cpu_ms_per_message"] for r in out if r["kind"] == "floor"]),
        "load_average": spread([r["load_average"] for r in out]),
    }


def _app(database_url: str, instance: str):
    from flask_migrate import upgrade

    from crm import create_app

    if database_url.startswith("postgres"):
        from tests.conftest import reset_postgres

        reset_postgres(database_url)
    app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance})
    with app.app_context():
        upgrade()
    return app


def run(database_url: str | None = None, rounds: int = 3, concurrency: int = CONCURRENCY) -> dict:
    """Measure on `database_url` (a PostgreSQL database it may wipe), or a throw-away SQLite database."""
    floor_client()  # before minutes of setup
    quick = os.environ.get("BENCH_QUICK") == "1"
    sizes = {0.0: 400, 0.1: 200} if quick else {0.0: 2000, 0.1: 800}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        database_url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = _app(database_url, tmp)
        for latency, n in sizes.items():
            server = _FakeServer(latency)
            try:
                results[latency] = alternate(app, server, n, rounds=rounds, concurrency=concurrency)
            finally:
                server.kill()
        with app.app_context():
            from crm.extensions import db

            db.engine.dispose()
    floors = [
        {
            "what": f"worker messages/s at {int(latency * 1000)} ms",
            "figure": measured["messages_per_s"],
            "floor_name": "sendgrid-python",
            "floor": measured["floor_messages_per_s"],
            "ratio": measured["ratio_to_floor"],
            "target": f">= {TARGET}",
            "met": measured["ratio_to_floor"]["median"] >= TARGET,
            "load": measured["load_average"],
        }
        for latency, measured in results.items()
    ]
    return {
        "floors": floors,
        "database": database_url.split(":")[0],
        "concurrency": concurrency,
        "floor": f"{FLOOR_NAME}: the same mails to the same fake server, {concurrency} threads",
        "no_latency": results[0.0],
        "latency_100ms": results[0.1],
        "no_latency_to_floor_ratio": results[0.0]["ratio_to_floor"]["median"],
        "latency_100ms_to_floor_ratio": results[0.1]["ratio_to_floor"]["median"],
        "target": f"worker >= {TARGET} of the bare client at 0 ms and at 100 ms (medians of alternating rounds)",
        "target_met": all(floor["met"] for floor in floors),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
