"""Outbox benchmark (issue 7): worker throughput to the fake SendGrid, a 100,000-member call to action,
worker peak memory. `python -m tests.benchmarks.outbox_bench` prints the figures; `run()` returns them.

Uses a throw-away SQLite database, or BENCH_DATABASE_URL (a PostgreSQL database it may wipe).
The fake server runs in a child process so it does not share the worker's interpreter.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"letters_per_s_no_latency": 500, "letters_per_s_100ms_latency": 150, "cta_100k_seconds": 30,
           "worker_peak_mb": 150}


def _serve(latency: float, queue) -> None:
    from tests.outbox.fake_sendgrid import FakeSendGrid

    server = FakeSendGrid().start()
    server.latency = latency
    queue.put(server.host)
    while True:
        time.sleep(3600)


def _fake_server(latency: float):
    queue = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(latency, queue), daemon=True)
    process.start()
    return process, queue.get(timeout=30)


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


def _throughput(app, host: str, n: int, concurrency: int) -> float:
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.worker import run_worker
    from tests.outbox.fake_sendgrid import API_KEY

    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, host, timeout=10)
    _queue_letters(app, n)
    started = time.perf_counter()
    sent = run_worker(app, once=True, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    assert sent == n, f"sent {sent} of {n}"
    return round(n / elapsed, 1)


def _call_to_action(app, host: str, members: int) -> dict:
    from crm.extensions import db
    from crm.outbox.backends import SendGridMailer
    from crm.outbox.bulk import queue_member_email
    from crm.outbox.worker import run_worker
    from tests.outbox.fake_sendgrid import API_KEY

    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, host, timeout=30)
    _queue_letters(app, 0)
    started = time.perf_counter()
    with app.test_request_context():
        queue_member_email(db.session, kind="call_to_action", subject="Write to your MPP",
                           recipients=[(None, f"member{i}@example.org") for i in range(members)],
                           text="The PRA program needs more spots. " * 20)
        db.session.commit()
    queued = time.perf_counter() - started
    sent = run_worker(app, once=True, concurrency=4)
    total = time.perf_counter() - started
    assert sent == members, f"sent {sent} of {members}"
    return {"cta_members": members, "cta_queue_seconds": round(queued, 1), "cta_100k_seconds": round(total, 1)}


def _worker_peak_mb(database_url: str, host: str, instance: str) -> float:
    from tests.outbox.fake_sendgrid import API_KEY

    env = dict(os.environ, CRM_ENV="production", DATABASE_URL=database_url, SECRET_KEY="bench",
               CRM_INSTANCE_PATH=instance, MAIL_BACKEND="sendgrid", SENDGRID_API_KEY=API_KEY, SENDGRID_HOST=host)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "crm", "worker", "--once"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(worker.pid, 0)
    worker.returncode = os.waitstatus_to_exitcode(status)
    assert worker.returncode == 0, f"worker exited with {worker.returncode}"
    return round(usage.ru_maxrss / 1024, 1)


def run(letters: int = 2000, slow_letters: int = 600, members: int = 100_000) -> dict:
    """Measure; returns a dict of figures (and the targets they are held to)."""
    from flask_migrate import upgrade

    from crm import create_app

    with tempfile.TemporaryDirectory() as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        if database_url.startswith("postgres"):
            from tests.conftest import reset_postgres

            reset_postgres(database_url)
        app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": tmp,
                          "SERVER_NAME": "localhost"})
        with app.app_context():
            upgrade()
        fast, fast_host = _fake_server(0.0)
        slow, slow_host = _fake_server(0.1)
        try:
            figures = {"database": database_url.split(":")[0], "letters": letters}
            # First, while this process is small: a forked child's peak RSS starts from its parent's.
            _queue_letters(app, letters)
            figures["worker_peak_mb"] = _worker_peak_mb(database_url, fast_host, tmp)
            figures["letters_per_s_no_latency"] = _throughput(app, fast_host, letters, concurrency=8)
            figures["letters_per_s_100ms_latency"] = _throughput(app, slow_host, slow_letters, concurrency=64)
            figures.update(_call_to_action(app, fast_host, members))
        finally:
            fast.kill()
            slow.kill()
    figures["targets"] = TARGETS
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
