"""The outbox worker: a loop for `flask crm worker`, or a thread in development."""
from __future__ import annotations

import logging
import threading

from flask import current_app

from crm.extensions import db
from crm.outbox.models import OutboundMessage
from crm.outbox.services import claim_batch, send_one, worker_name

log = logging.getLogger(__name__)


def send_due_messages(limit: int = 20) -> int:
    """Claim a batch of due messages and send them; the worker owns these commits."""
    session = db.session
    mailer = current_app.extensions["crm.mailer"]
    ids = claim_batch(session, worker_name(), limit)
    session.commit()
    for message_id in ids:
        send_one(session, mailer, session.get(OutboundMessage, message_id))
        session.commit()
    if ids:
        log.info("outbox: sent %d message(s)", len(ids))
    return len(ids)


def start_worker_thread(app) -> threading.Thread:
    """Development: deliver queued mail in-process, so `make run` needs no second command."""
    stop = threading.Event()
    app.extensions["crm.worker_stop"] = stop

    def loop():
        while not stop.wait(app.config["MAIL_WORKER_INTERVAL"]):
            with app.app_context():
                try:
                    while send_due_messages():
                        pass
                except Exception:  # keep the thread alive; the row stays for the next pass
                    log.exception("outbox worker pass failed")
                    db.session.rollback()
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="outbox-worker", daemon=True)
    thread.start()
    return thread
