"""Queue messages, claim and send the due ones, settle the unknown. Services flush; callers commit."""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, text, update
from sqlalchemy.orm import Session

from crm.outbox.backends import PermanentFailure, RateLimited, TemporaryFailure
from crm.outbox.models import DeliveryEvent, OutboundMessage, SendingPause
from crm.outbox.status import EVENT_STATUS, announce, apply_event_status, conditional_move

log = logging.getLogger(__name__)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
PAUSE_NAME = "provider"


# The channel on which a transaction tells running workers that a pass job has work now
# (PostgreSQL's NOTIFY, delivered when it commits); each worker's jobs thread LISTENs on it
# (worker.py, JobsListener).
JOBS_CHANNEL = "crm_worker_jobs"


def wake_workers(session: Session) -> None:
    """Have running workers start their pass jobs as soon as this transaction commits (on PostgreSQL), rather than
    at their next pass, up to MAIL_WORKER_INTERVAL seconds later (as they do on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {JOBS_CHANNEL}"))


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def one_line(text: str | None) -> str:
    """Collapse CR, LF and other control characters: nothing anyone types reaches a mail header raw. Text that is
    already one line (printable: its only whitespace ASCII spaces, single and inside) comes back as it is, without
    the regex: a mailing calls this three times a member."""
    if text and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    return " ".join(_CONTROL_RE.sub(" ", text or "").split())


def queue_message(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    user_id: int | None = None,
    from_address: str | None = None,
    max_per_hour: int | None = None,
    unsubscribe_url: str | None = None,
    flush: bool = True,
) -> OutboundMessage:
    """Add a queued message to the caller's transaction.

    `max_per_hour` spreads messages to one address: beyond that many in any hour, the message waits.
    `flush=False` leaves the INSERT to the caller's next flush (with the rows that point at it).
    """
    row = message_row(
        kind=kind,
        to=to,
        subject=subject,
        text=text,
        html=html,
        reply_to=reply_to,
        user_id=user_id,
        from_address=from_address,
        unsubscribe_url=unsubscribe_url,
    )
    if max_per_hour:
        row["next_attempt_at"] = next_free_slot(session, to, max_per_hour, row["next_attempt_at"])
    message = OutboundMessage(**row)
    session.add(message)
    if flush:
        session.flush()
    return message


def message_row(
    *,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    user_id: int | None = None,
    from_address: str | None = None,
    unsubscribe_url: str | None = None,
) -> dict:
    """A queued message's row (due now): what `queue_message` adds, and what a caller writing its own
    statements inserts (crm/campaigns/letter_rows.py)."""
    return {
        "kind": kind,
        "user_id": user_id,
        "to_address": to,
        "from_address": from_address or current_app.config["MAIL_FROM"],
        "reply_to": reply_to,
        "subject": one_line(subject)[:300],
        "text_body": text,
        "html_body": html,
        "unsubscribe_url": unsubscribe_url,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "possible_duplicate": False,
    }


def next_free_slot(session: Session, address: str, per_hour: int, now: datetime) -> datetime:
    """The earliest time at or after `now` that keeps `address` at no more than `per_hour` messages an hour."""
    times = list(
        session.scalars(
            select(OutboundMessage.next_attempt_at)
            .where(
                OutboundMessage.to_address == address,
                OutboundMessage.status != "cancelled",
                OutboundMessage.next_attempt_at > now - timedelta(hours=1),
            )
            .order_by(OutboundMessage.next_attempt_at)
        )
    )
    if len(times) < per_hour:
        return now
    return max(now, times[-per_hour] + timedelta(hours=1))


def worker_name() -> str:
    """Host, process and a random part: two workers never share a lease owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _config(name: str):
    return current_app.config[name]


def claim_messages(session: Session, owner: str, limit: int, batch_id: int | None = None) -> list[OutboundMessage]:
    """Move up to `limit` due messages to `sending` under a lease and return them, in one UPDATE … RETURNING.
    Nothing is claimed while sending is paused. PostgreSQL skips rows other workers are claiming (FOR UPDATE
    SKIP LOCKED); SQLite runs the one statement under its single write lock.
    Design: docs/design-notes.md, "outbox/services.py: claim_messages"."""
    now = utcnow()
    paused = select(SendingPause.name).where(SendingPause.name == PAUSE_NAME, SendingPause.paused_until > now)
    due = (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "queued", OutboundMessage.next_attempt_at <= now, ~paused.exists())
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
    )
    if batch_id is not None:
        due = due.where(OutboundMessage.batch_id == batch_id)
    claimed = OutboundMessage.id.in_(due.scalar_subquery())
    if session.get_bind().dialect.name == "postgresql":
        # = ANY(ARRAY(…)): the due ids are picked once, whatever the planner believes of the table's size
        claimed = OutboundMessage.id == func.any(func.array(due.with_for_update(skip_locked=True).scalar_subquery()))
    stmt = (
        update(OutboundMessage)
        .where(claimed)
        .values(
            status="sending",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=_config("MAIL_LEASE_SECONDS")),
            first_attempt_at=func.coalesce(OutboundMessage.first_attempt_at, now),
            attempts=OutboundMessage.attempts + 1,
        )
        .returning(OutboundMessage)
    )
    messages = session.scalars(stmt, execution_options={"synchronize_session": False, "populate_existing": True}).all()
    return sorted(messages, key=lambda message: message.id)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half the step fixed, half random."""
    step = min(_config("MAIL_RETRY_MAX_SECONDS"), _config("MAIL_RETRY_BASE_SECONDS") * 2 ** max(0, attempts - 1))
    return step / 2 + random.uniform(0, step / 2)


def relax_durability(session: Session) -> None:
    """Recording an outcome need not wait for the disk. If a database crash loses that write, the row is
    still `sending` under its lease: it turns unknown and is settled by the provider's events, or resent
    flagged as a possible duplicate. (Claims stay fully durable: a lost claim could mean an unflagged resend.)"""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    elif dialect == "sqlite" and not session.in_transaction():
        session.execute(text("PRAGMA synchronous=NORMAL"))


# What a backend raises when it did not take a message (OSError: a network failure it did not wrap).
SEND_FAILURES = (PermanentFailure, TemporaryFailure, OSError)


def hand_over(mailer, messages: list[OutboundMessage]) -> str:
    """Give one send unit (a message, or one bulk batch) to the backend; returns the provider's message id,
    or raises one of SEND_FAILURES. Call it with no database transaction open: a slow provider must not
    hold a connection."""
    if len(messages) == 1 and messages[0].batch_id is None:
        return mailer.send(messages[0])
    return mailer.send_bulk(messages)


def record_failure(session: Session, messages: list[OutboundMessage], owner: str, error: Exception) -> str:
    """Record why the backend did not take a unit. Returns "paused" (the provider said 429: the caller
    stops sending), "failed" (other 4xx, or the retry budget is spent) or "retry"."""
    if isinstance(error, RateLimited):
        pause_sending(session, error.reset_at, str(error)[:200])
        release(session, [m.id for m in messages], owner, next_attempt_at=error.reset_at)
        return "paused"
    if isinstance(error, PermanentFailure):
        conditional_move(
            session,
            messages,
            ("sending",),
            "failed",
            owner,
            last_error=str(error)[:500],
            lease_owner=None,
            lease_until=None,
        )
        return "failed"
    return _retry_or_fail(session, messages, owner, str(error)[:500])


def record_accepted(session: Session, handed: list[tuple[list[OutboundMessage], str]], owner: str) -> None:
    """Record units the provider accepted, each (messages, provider message id): all single messages in one
    UPDATE (each gets its own id through a CASE), each bulk batch in one UPDATE of its own."""
    if not handed:
        return
    relax_durability(session)
    singles = [(unit, provider_id) for unit, provider_id in handed if len(unit) == 1]
    for group in [[(unit, provider_id)] for unit, provider_id in handed if len(unit) > 1] + [singles]:
        if group:
            _record_provider_ids(session, {m: provider_id for unit, provider_id in group for m in unit}, owner)


def _record_provider_ids(session: Session, provider_ids: dict[OutboundMessage, str], owner: str) -> None:
    """Move the messages to accepted with their provider ids, unless an event or an admin got there first."""
    now = utcnow()
    distinct = set(provider_ids.values())
    provider_id = (
        distinct.pop()
        if len(distinct) == 1
        else case({m.id: provider_id for m, provider_id in provider_ids.items()}, value=OutboundMessage.id)
    )
    messages = list(provider_ids)
    moved = conditional_move(
        session,
        messages,
        ("sending", "unknown", "queued"),
        "accepted",
        provider_message_id=provider_id,
        sent_at=now,
        last_error=None,
        lease_owner=None,
        lease_until=None,
        unknown_since=None,
    )
    overtaken = [m.id for m in messages if m.id not in moved]
    if overtaken:  # an event got there first; keep the provider id for matching later events
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(overtaken), OutboundMessage.provider_message_id.is_(None))
            .values(provider_message_id=provider_id, sent_at=now),
            execution_options={"synchronize_session": False},
        )


def _retry_or_fail(session: Session, messages: list[OutboundMessage], owner: str, error: str) -> str:
    now = utcnow()
    budget = timedelta(seconds=_config("MAIL_RETRY_BUDGET_SECONDS"))
    outcome = "retry"
    for message in messages:
        wait = timedelta(seconds=backoff_seconds(message.attempts))
        started = message.first_attempt_at or now
        if now + wait - started > budget:
            conditional_move(
                session,
                [message],
                ("sending",),
                "failed",
                owner,
                last_error=f"Gave up after {message.attempts} attempts: {error}"[:500],
                lease_owner=None,
                lease_until=None,
            )
            outcome = "failed"
        else:
            session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id == message.id,
                    OutboundMessage.status == "sending",
                    OutboundMessage.lease_owner == owner,
                )
                .values(
                    status="queued", next_attempt_at=now + wait, last_error=error, lease_owner=None, lease_until=None
                )
            )
    return outcome


def release(session: Session, ids: list[int], owner: str, next_attempt_at: datetime | None = None) -> None:
    """Give claimed but unsent messages back to the queue, without counting an attempt."""
    if not ids:
        return
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(ids), OutboundMessage.status == "sending", OutboundMessage.lease_owner == owner)
        .values(
            status="queued",
            attempts=OutboundMessage.attempts - 1,
            lease_owner=None,
            lease_until=None,
            next_attempt_at=next_attempt_at or utcnow(),
        ),
        execution_options={"synchronize_session": False},
    )


def dialect_insert(session: Session, model):
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def pause_sending(session: Session, until: datetime, reason: str) -> None:
    """Every worker stops claiming until `until` (one row all workers read; a later reset wins)."""
    stmt = dialect_insert(session, SendingPause).values(name=PAUSE_NAME, paused_until=until, reason=reason)
    later = stmt.excluded.paused_until > SendingPause.paused_until
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "paused_until": case((later, stmt.excluded.paused_until), else_=SendingPause.paused_until),
                "reason": case((later, stmt.excluded.reason), else_=SendingPause.reason),
            },
        )
    )


def paused_until(session: Session) -> datetime | None:
    """When sending may resume, if it is paused now."""
    until = session.scalar(select(SendingPause.paused_until).where(SendingPause.name == PAUSE_NAME))
    return until if until and until > utcnow() else None


def expire_leases(session: Session) -> list[int]:
    """Messages whose worker vanished mid-send: their fate is unknown until an event or a wait settles it."""
    now = utcnow()
    rows = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending", OutboundMessage.lease_until < now)
        .values(
            status="unknown",
            unknown_since=now,
            lease_owner=None,
            lease_until=None,
            last_error="The worker stopped while sending; waiting for the provider's events.",
        )
        .returning(OutboundMessage.id, OutboundMessage.kind, OutboundMessage.user_id),
        execution_options={"synchronize_session": False},
    ).all()
    for message_id, kind, user_id in rows:
        announce(session, message_id, kind, user_id, "sending", "unknown")
    return [row[0] for row in rows]


def settle_unknown(session: Session) -> dict[str, int]:
    """Settle unknown messages from stored provider events; after the wait, resend or hold them."""
    settled = resent = 0
    evidence = session.execute(
        select(OutboundMessage, DeliveryEvent.event, DeliveryEvent.provider_message_id)
        .join(DeliveryEvent, DeliveryEvent.message_id == OutboundMessage.id)
        .where(OutboundMessage.status == "unknown", DeliveryEvent.event.in_(EVENT_STATUS))
    ).all()
    for message, event, provider_id in evidence:
        if apply_event_status(session, message, EVENT_STATUS[event], provider_id):
            settled += 1
    if _config("MAIL_UNKNOWN_ACTION") == "resend":
        deadline = utcnow() - timedelta(seconds=_config("MAIL_UNKNOWN_WAIT_SECONDS"))
        for message in session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.status == "unknown", OutboundMessage.unknown_since <= deadline
            )
        ):
            resent += resend(session, message, possible_duplicate=True)
    session.flush()
    return {"settled": settled, "resent": resent}


def resend(session: Session, message: OutboundMessage, possible_duplicate: bool | None = None) -> bool:
    """Queue an unknown or failed message again (admin action, or the unknown wait ran out)."""
    if message.status not in ("unknown", "failed"):
        return False
    flag = message.status == "unknown" if possible_duplicate is None else possible_duplicate
    moved = conditional_move(
        session,
        [message],
        ("unknown", "failed"),
        "queued",
        next_attempt_at=utcnow(),
        first_attempt_at=None,
        unknown_since=None,
        possible_duplicate=message.possible_duplicate or flag,
    )
    session.expire(message)
    return bool(moved)


def cancel(session: Session, message: OutboundMessage) -> bool:
    """Never send this message (admin action); only while it is not on its way."""
    moved = conditional_move(
        session, [message], ("queued", "unknown", "failed"), "cancelled", lease_owner=None, lease_until=None
    )
    session.expire(message)
    return bool(moved)


def messages_needing_attention(statuses: tuple[str, ...] = ("unknown", "failed")):
    """The admin list: unknown and failed messages, newest first."""
    return (
        select(OutboundMessage)
        .where(OutboundMessage.status.in_(statuses))
        .order_by(OutboundMessage.updated_at.desc(), OutboundMessage.id.desc())
    )
