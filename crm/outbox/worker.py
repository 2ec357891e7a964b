"""The outbox worker: `flask crm worker` (threads, each with its own session), or a thread in development."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.outbox.models import OutboundMessage
from crm.outbox.services import (claim_batch, expire_leases, paused_until, release, send_claimed, settle_unknown,
                                 utcnow, worker_name)

log = logging.getLogger(__name__)


def maintain(session) -> None:
    """Expire dead leases and settle unknown messages; cheap enough to run before every claim."""
    expire_leases(session)
    settle_unknown(session)


def _units(session, ids: list[int], owner: str, bulk_size: int) -> list[list[int]]:
    """Split claimed ids into send units: single messages, and bulk batches topped up to `bulk_size`."""
    rows = session.execute(select(OutboundMessage.id, OutboundMessage.batch_id)
                           .where(OutboundMessage.id.in_(ids))).all()
    singles = [[message_id] for message_id, batch_id in rows if batch_id is None]
    batches: dict[int, list[int]] = {}
    for message_id, batch_id in rows:
        if batch_id is not None:
            batches.setdefault(batch_id, []).append(message_id)
    for batch_id, members in batches.items():
        if len(members) < bulk_size:
            members.extend(claim_batch(session, owner, bulk_size - len(members), batch_id=batch_id))
    bulk = [members[i:i + bulk_size] for members in batches.values() for i in range(0, len(members), bulk_size)]
    return bulk + singles


def _send_chunk(app, units: list[list[int]], owner: str, stop_sending: threading.Event) -> int:
    """Send some claimed units in this thread's own app context and session, committing after each."""
    sent = 0
    with app.app_context():
        session = db.session
        mailer = app.extensions["crm.mailer"]
        try:
            for index, ids in enumerate(units):
                if stop_sending.is_set():
                    release(session, [i for unit in units[index:] for i in unit], owner)
                    session.commit()
                    break
                messages = list(session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids))
                                                .options(selectinload(OutboundMessage.batch))
                                                .order_by(OutboundMessage.id)))
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


def run_pass(app, owner: str, pool: ThreadPoolExecutor | None = None, limit: int | None = None) -> int:
    """One pass: maintenance, then claim due messages and send them (concurrently with a pool).

    Returns how many messages were claimed (0 when nothing is due or sending is paused).
    """
    with app.app_context():
        session = db.session
        maintain(session)
        session.commit()
        if paused_until(session):
            return 0
        ids = claim_batch(session, owner, limit or app.config["MAIL_CLAIM_BATCH"])
        session.commit()
        units = _units(session, ids, owner, app.config["MAIL_BULK_SIZE"]) if ids else []
        session.commit()
    if not units:
        return 0
    stop_sending = threading.Event()
    if pool is None:
        _send_chunk(app, units, owner, stop_sending)
    else:
        workers = pool._max_workers
        chunks = [units[i::workers] for i in range(workers) if units[i::workers]]
        for future in [pool.submit(_send_chunk, app, chunk, owner, stop_sending) for chunk in chunks]:
            future.result()
    return sum(len(unit) for unit in units)


def send_due_messages(limit: int = 20) -> int:
    """Claim and send one batch in this thread (tests, the development thread); returns how many."""
    return run_pass(current_app._get_current_object(), worker_name(), limit=limit)


def run_worker(app, *, once: bool = False, concurrency: int = 8, interval: float = 2.0,
               stop: threading.Event | None = None) -> int:
    """The `flask crm worker` loop. With `once`, send what is due now and return."""
    owner = worker_name()
    stop = stop or threading.Event()
    total = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="outbox") as pool:
        while not stop.is_set():
            claimed = run_pass(app, owner, pool, app.config["MAIL_CLAIM_BATCH"])
            total += claimed
            if claimed:
                continue
            if once:
                break
            with app.app_context():
                until = paused_until(db.session)
                db.session.remove()
            wait = interval if until is None else min(max((until - utcnow()).total_seconds(), 0.2), 60)
            stop.wait(wait)
    log.info("outbox worker %s stopping after %d message(s)", owner, total)
    return total


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
