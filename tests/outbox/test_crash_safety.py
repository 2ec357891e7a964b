"""Real worker processes: four at once send each letter once; SIGKILLed mid-run, none is lost and any
duplicate is flagged."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from crm.outbox.models import OutboundMessage
from crm.outbox.services import queue_message
from tests.outbox.fake_sendgrid import API_KEY

ROOT = Path(__file__).resolve().parents[2]
LETTERS = int(os.environ.get("CRM_KILL_TEST_LETTERS", "300"))  # the full run: 2000 letters, 10 kills
KILLS = int(os.environ.get("CRM_KILL_TEST_KILLS", "4"))


def start_worker(database_url, host, instance, *args):
    env = dict(
        os.environ,
        CRM_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY="kill-test",
        CRM_INSTANCE_PATH=str(instance),
        MAIL_BACKEND="sendgrid",
        SENDGRID_API_KEY=API_KEY,
        SENDGRID_HOST=host,
        MAIL_LEASE_SECONDS="2",
        MAIL_UNKNOWN_ACTION="resend",
        MAIL_UNKNOWN_WAIT_SECONDS="0",
        MAIL_CLAIM_BATCH="20",
        MAIL_WORKER_CONCURRENCY="4",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "worker", "crm", "worker", "--interval", "0.2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkilled_workers_lose_no_letter_and_flag_every_possible_duplicate(
    app, session, sendgrid, database_url, tmp_path
):
    for i in range(LETTERS):
        queue_message(session, kind="letter", to=f"mpp{i % 124}@example.org", subject=f"Letter {i}", text="Dear MPP")
    session.commit()
    # Slow enough that the letters outlast the kills (each worker sends for up to a second before it dies,
    # four requests at a time), whatever the worker's own speed.
    sendgrid.latency = 4 * KILLS * 1.5 / LETTERS
    rng = random.Random(11)
    for _ in range(KILLS):
        worker = start_worker(database_url, sendgrid.host, tmp_path)
        arrived = len(sendgrid.received)
        deadline = time.monotonic() + 60
        while len(sendgrid.received) == arrived and time.monotonic() < deadline:  # start-up can take seconds
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))  # then kill it at a random moment while it sends
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    session.expire_all()
    assert session.scalar(select(func.count()).where(OutboundMessage.status != "accepted")), "killed too late"
    worker = start_worker(database_url, sendgrid.host, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            session.expire_all()
            if set(session.scalars(select(OutboundMessage.status))) == {"accepted"}:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    rows = session.execute(select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.possible_duplicate)).all()
    received = sendgrid.message_ids()
    assert {status for _, status, _ in rows} == {"accepted"}, stderr.decode()[-2000:]
    assert all(received[message_id] >= 1 for message_id, _, _ in rows)  # none lost
    duplicates = {message_id for message_id, count in received.items() if count > 1}
    flagged = {message_id for message_id, _, flag in rows if flag}
    print(f"kill test: {len(rows)} letters, {len(duplicates)} sent twice, {len(flagged)} flagged")
    assert duplicates <= flagged  # a letter sent twice is always flagged
    assert len(flagged) <= KILLS * 20  # only letters in flight at a kill (one claim batch each)


def test_four_worker_processes_at_once_send_every_letter_exactly_once(app, session, sendgrid, database_url, tmp_path):
    ids = [
        queue_message(session, kind="letter", to=f"mpp{i % 124}@example.org", subject="s", text="t").id
        for i in range(400)
    ]
    session.commit()
    sendgrid.latency = 0.005
    workers = [start_worker(database_url, sendgrid.host, tmp_path, "--once") for _ in range(4)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()[-2000:]
    assert sendgrid.message_ids() == {i: 1 for i in ids}
    assert set(session.scalars(select(OutboundMessage.status))) == {"accepted"}
