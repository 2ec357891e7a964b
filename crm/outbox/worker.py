"""The outbox worker: `flask crm worker` (threads, each with its own session), or a thread in development."""
from __future__ import annotations

import logging
import threading

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.extensions import db
from crm.outbox.models import OutboundMessage
from crm.outbox.services import (claim_batch, claim_due, expire_leases, paused_until, release, send_claimed,
                                 settle_unknown, utcnow, worker_name)

log = logging.getLogger(__name__)


def maintain(session) -> None:
    """Expire dead leases and settle unknown messages; cheap enough to run before every claim."""
    expire_leases(session)
    settle_unknown(session)


def _units(session, claimed: list[tuple[int, int | None]], owner: str, bulk_size: int) -> list[list[int]]:
    """Split claimed messages into send units: single messages, and bulk batches topped up to `bulk_size`."""
    singles = [[message_id] for message_id, batch_id in claimed if batch_id is None]
    batches: dict[int, list[int]] = {}
    for message_id, batch_id in claimed:
        if batch_id is not None:
            batches.setdefault(batch_id, []).append(message_id)
    for batch_id, members in batches.items():
        if len(members) < bulk_size:
            members.extend(claim_batch(session, owner, bulk_size - len(members), batch_id=batch_id))
    bulk = [members[i:i + bulk_size] for members in batches.values() for i in range(0, len(members), bulk_size)]
    return bulk + singles


def _send_chunk(app, units: list[list[int]], owner: str, stop_sending: threading.Event) -> int:
    """Send some claimed units in this thread's own app context and session, committing after each.

    The session keeps loaded rows across commits: every write is a conditional UPDATE anyway."""
    sent = 0
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        mailer = app.extensions["crm.mailer"]
        try:
            loaded = {m.id: m for m in session.scalars(
                select(OutboundMessage).where(OutboundMessage.id.in_([i for unit in units for i in unit]))
                .options(selectinload(OutboundMessage.batch)))}
            session.commit()
            for index, ids in enumerate(units):
                if stop_sending.is_set():
                    release(session, [i for unit in units[index:] for i in unit], owner)
                    session.commit()
                    break
                messages = [loaded[i] for i in ids if i in loaded]
                outcome = send_claimed(session, mailer, messages, owner)
                session.commit()
                if outcome == "sent":
                    sent += len(messages)
                elif outcome == "paused":
                    stop_sending.set()
        except Exception:  # the lease expires and the messages become unknown; never lose them silently
            log.exception("outbox: sending failed unexpectedly (owner %s)", owner)
            session.rollback()
    return sent


def run_pass(app, owner: str, limit: int | None = None, maintenance: bool = True) -> int:
    """One pass in this thread: maintenance, then claim due messages and send them.

    Returns how many messages were claimed (0 when nothing is due or sending is paused).
    """
    with app.app_context():
        session = db.session
        if maintenance:
            maintain(session)
            session.commit()
        if paused_until(session):
            return 0
        claimed = claim_due(session, owner, limit or app.config["MAIL_CLAIM_BATCH"])
        units = _units(session, claimed, owner, app.config["MAIL_BULK_SIZE"]) if claimed else []
        session.commit()
    if units:
        _send_chunk(app, units, owner, threading.Event())
    return sum(len(unit) for unit in units)


def send_due_messages(limit: int = 20) -> int:
    """Claim and send one batch in this thread (tests, the development thread); returns how many."""
    return run_pass(current_app._get_current_object(), worker_name(), limit=limit)


def _idle_wait(app, interval: float) -> float:
    with app.app_context():
        until = paused_until(db.session)
    return interval if until is None else min(max((until - utcnow()).total_seconds(), 0.2), 60)


def run_worker(app, *, once: bool = False, concurrency: int = 8, interval: float = 2.0,
               stop: threading.Event | None = None) -> int:
    """The `flask crm worker` process: `concurrency` sender threads, each claiming and sending on its own
    session, while this thread expires dead leases and settles unknown messages every `interval`.

    With `once`, each sender stops when nothing is due; returns how many messages were claimed.
    """
    name = worker_name()
    stop = stop or threading.Event()
    per_thread = max(5, app.config["MAIL_CLAIM_BATCH"] // max(1, concurrency))
    totals = [0] * max(1, concurrency)

    def sender(index: int) -> None:
        owner = f"{name}/{index}"[:64]
        while not stop.is_set():
            try:
                claimed = run_pass(app, owner, per_thread, maintenance=False)
            except Exception:  # a database hiccup: wait, then carry on; leases protect the rows
                log.exception("outbox sender %s: pass failed", owner)
                claimed = 0
            totals[index] += claimed
            if claimed:
                continue
            if once:
                return
            stop.wait(_idle_wait(app, interval))

    def maintenance() -> None:
        with app.app_context():
            try:
                maintain(db.session)
                db.session.commit()
            except Exception:
                log.exception("outbox maintenance failed")
                db.session.rollback()

    maintenance()
    threads = [threading.Thread(target=sender, args=(i,), name=f"outbox-{i}", daemon=True)
               for i in range(len(totals))]
    for thread in threads:
        thread.start()
    while alive := [thread for thread in threads if thread.is_alive()]:
        alive[0].join(interval)
        if not stop.is_set():
            maintenance()
    log.info("outbox worker %s stopping after %d message(s)", name, sum(totals))
    return sum(totals)


def start_worker_thread(app) -> threading.Thread:
    """Development: deliver queued mail in-process, so `make run` needs no second command."""
    stop = threading.Event()
    app.extensions["crm.worker_stop"] = stop

    def loop():
        while not stop.wait(app.config["MAIL_WORKER_INTERVAL"]):
            try:
                while run_pass(app, worker_name()) and not stop.is_set():
                    pass
            except Exception:  # keep the thread alive; the rows stay for the next pass
                log.exception("outbox worker pass failed")

    thread = threading.Thread(target=loop, name="outbox-worker", daemon=True)
    thread.start()
    return thread
