"""Outbox benchmark (issue 7): worker throughput to the fake SendGrid, a 100,000-member call to action,
worker peak memory. `python -m tests.benchmarks.outbox_bench` prints the figures; `run()` returns them.

Uses a throw-away SQLite database, or a PostgreSQL database it may wipe (`make bench` passes
BENCH_DATABASE_URL; run as a module, it reads that too). Every figure counts letters the fake server
answered 202 for, each once, and that the outbox marked accepted. The fake server runs in a child
process so it does not share the worker's interpreter.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"letters_per_s_no_latency": 500, "letters_per_s_100ms_latency": 150, "cta_100k_seconds": 30,
           "worker_peak_mb": 150}


def _serve(latency: float, connection) -> None:
    from tests.outbox.fake_sendgrid import FakeSendGrid

    server = FakeSendGrid().start()
    server.latency = latency
    connection.send(server.host)
    while connection.recv() == "reset and count":
        connection.send(server.message_ids())
        server.reset()
        server.latency = latency


class _FakeServer:
    """The fake SendGrid in a child process, so it does not share the worker's interpreter."""

    def __init__(self, latency: float):
        context = multiprocessing.get_context("fork")
        self._connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(latency, child), daemon=True)
        self.process.start()
        self.host = self._connection.recv()

    def received(self):
        """How often each outbox message id reached the server and was answered 202 since the last call."""
        self._connection.send("reset and count")
        return self._connection.recv()

    def kill(self) -> None:
        self.process.kill()


def _check_delivered(app, server: _FakeServer, n: int) -> None:
    """Count letters, not requests: each handed to the server once and answered 202, and marked accepted."""
    from sqlalchemy import func, select

    from crm.extensions import db
    from crm.outbox.models import OutboundMessage

    received = server.received()
    with app.app_context():
        accepted = db.session.scalar(select(func.count()).where(OutboundMessage.status == "accepted"))
    assert len(received) == n and set(received.values()) == {1}, f"{len(received)} letters received, not {n}"
    assert accepted == n, f"{accepted} letters marked accepted, not {n}"


def _queue_letters(app, n: int) -> None:
    from sqlalchemy import delete, insert

    from crm.extensions import db
    from crm.outbox.models import MailBatch, OutboundMessage
    from crm.outbox.services import utcnow

    with app.app_context():
        db.session.execute(delete(OutboundMessage))
        db.session.execute(delete(MailBatch))
        now = utcnow()
        rows = [
            {"kind": "letter", "to_address": f"mpp{i % 124}@example.org", "from_address": "ITPO <letters@itpo.example>",
             "reply_to": f"member{i}@example.org", "subject": f"Letter {i}", "text_body": "Dear MPP, " + "x" * 1500,
             "status": "queued", "attempts": 0, "next_attempt_at": now, "possible_duplicate": False}
            for i in range(n)]
        if rows:
            db.session.execute(insert(OutboundMessage), rows)
        db.session.commit()


def _throughput(app, server: _FakeServer, n: int, concurrency: int) -> float:
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.worker import run_worker
    from tests.outbox.fake_sendgrid import API_KEY

    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, server.host, timeout=10)
    _queue_letters(app, n)
    server.received()
    started = time.perf_counter()
    run_worker(app, once=True, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    _check_delivered(app, server, n)
    return round(n / elapsed, 1)


def _call_to_action(app, server: _FakeServer, members: int) -> dict:
    from crm.extensions import db
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.bulk import queue_member_email
    from crm.outbox.worker import run_worker
    from tests.outbox.fake_sendgrid import API_KEY

    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, server.host, timeout=30)
    _queue_letters(app, 0)
    server.received()
    started = time.perf_counter()
    with app.test_request_context():
        queue_member_email(db.session, kind="call_to_action", subject="Write to your MPP",
                           recipients=[(None, f"member{i}@example.org") for i in range(members)],
                           text="The PRA program needs more spots. " * 20)
        db.session.commit()
    queued = time.perf_counter() - started
    run_worker(app, once=True, concurrency=4)
    total = time.perf_counter() - started
    _check_delivered(app, server, members)
    return {"cta_members": members, "cta_queue_seconds": round(queued, 1), "cta_100k_seconds": round(total, 1)}


# `flask crm worker --once` that prints, as it exits, its own high-water RSS (VmHWM). The ru_maxrss a parent
# gets from wait4 would start from the size of the process that forked it (this one, large after a 100k run).
_WORKER_REPORTING_PEAK = """
import atexit, sys
atexit.register(lambda: print(next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))))
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", "crm", "worker", "--once"]
main()
"""


def _worker_peak_mb(database_url: str, host: str, instance: str) -> float:
    from tests.outbox.fake_sendgrid import API_KEY

    env = dict(os.environ, CRM_ENV="production", DATABASE_URL=database_url, SECRET_KEY="bench",
               CRM_INSTANCE_PATH=instance, MAIL_BACKEND="sendgrid", SENDGRID_API_KEY=API_KEY, SENDGRID_HOST=host)
    worker = subprocess.run([sys.executable, "-c", _WORKER_REPORTING_PEAK], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=False)
    assert worker.returncode == 0, f"worker exited with {worker.returncode}: {worker.stderr[-2000:]}"
    return round(int(worker.stdout.rsplit("VmHWM:", 1)[1].split()[0]) / 1024, 1)


def run(database_url: str | None = None, letters: int = 2000, slow_letters: int = 600, members: int = 100_000,
        repeats: int = 3) -> dict:
    """Measure on `database_url` (a PostgreSQL database it may wipe), or a throw-away SQLite database.

    Throughput is measured `repeats` times: the figure is the median, the runs are listed, and the load
    average says how busy the machine was (other work shares its two cores)."""
    from flask_migrate import upgrade

    from crm import create_app

    with tempfile.TemporaryDirectory() as tmp:
        database_url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
        if database_url.startswith("postgres"):
            from tests.conftest import reset_postgres

            reset_postgres(database_url)
        app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": tmp,
                          "SERVER_NAME": "localhost"})
        with app.app_context():
            upgrade()
        fast, slow = _FakeServer(0.0), _FakeServer(0.1)
        try:
            figures = {"database": database_url.split(":")[0], "letters": letters,
                       "load_average_before": [round(load, 1) for load in os.getloadavg()]}
            _queue_letters(app, letters)
            fast.received()
            figures["worker_peak_mb"] = _worker_peak_mb(database_url, fast.host, tmp)
            _check_delivered(app, fast, letters)
            for name, server, n, concurrency in (("letters_per_s_no_latency", fast, letters, 8),
                                                 ("letters_per_s_100ms_latency", slow, slow_letters, 64)):
                runs = [_throughput(app, server, n, concurrency) for _ in range(repeats)]
                figures[name], figures[f"{name}_runs"] = statistics.median(runs), runs
            figures.update(_call_to_action(app, fast, members))
            figures["load_average_after"] = [round(load, 1) for load in os.getloadavg()]
        finally:
            fast.kill()
            slow.kill()
    figures["targets"] = TARGETS
    figures["target_met"] = (figures["letters_per_s_no_latency"] >= TARGETS["letters_per_s_no_latency"]
                             and figures["letters_per_s_100ms_latency"] >= TARGETS["letters_per_s_100ms_latency"]
                             and figures["cta_100k_seconds"] < TARGETS["cta_100k_seconds"]
                             and figures["worker_peak_mb"] < TARGETS["worker_peak_mb"])
    return figures


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("BENCH_DATABASE_URL")), indent=2))
