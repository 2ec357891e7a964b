"""Queue messages and send the due ones. Services flush; callers commit."""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.outbox.backends import PermanentFailure, TemporaryFailure
from crm.outbox.models import OutboundMessage

log = logging.getLogger(__name__)
LEASE_SECONDS = 120
MAX_ATTEMPTS = 8


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def queue_message(session: Session, *, kind: str, to: str, subject: str, text: str, html: str | None = None,
                  reply_to: str | None = None, user_id: int | None = None) -> OutboundMessage:
    """Add a queued message to the caller's transaction."""
    message = OutboundMessage(kind=kind, to_address=to, from_address=current_app.config["MAIL_FROM"],
                              reply_to=reply_to, subject=subject, text_body=text, html_body=html,
                              user_id=user_id, status="queued", next_attempt_at=utcnow())
    session.add(message)
    session.flush()
    return message


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_batch(session: Session, owner: str, limit: int = 20) -> list[int]:
    """Atomically move up to `limit` due messages to `sending` under a lease; return their ids."""
    now = utcnow()
    due = (select(OutboundMessage.id)
           .where(OutboundMessage.status == "queued", OutboundMessage.next_attempt_at <= now)
           .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(OutboundMessage).where(OutboundMessage.id.in_(due.scalar_subquery()))
            .values(status="sending", lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS),
                    attempts=OutboundMessage.attempts + 1)
            .returning(OutboundMessage.id))
    ids = list(session.execute(stmt, execution_options={"synchronize_session": False}).scalars())
    return ids


def send_one(session: Session, mailer, message: OutboundMessage) -> None:
    """Hand one claimed message to the backend and record the outcome."""
    try:
        message.provider_message_id = mailer.send(message)
        message.status = "accepted"
        message.sent_at = utcnow()
        message.last_error = None
    except PermanentFailure as exc:
        message.status = "failed"
        message.last_error = str(exc)[:500]
    except (TemporaryFailure, OSError) as exc:
        message.last_error = str(exc)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.status = "queued"
            message.next_attempt_at = utcnow() + timedelta(seconds=min(3600, 2 ** message.attempts * 5))
    message.lease_owner = None
    message.lease_until = None
    session.flush()
