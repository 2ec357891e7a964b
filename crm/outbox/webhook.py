"""The SendGrid Event Webhook: signature check, event deduplication, forward-only status moves."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.outbox.models import STATUS_RANK, AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import EVENT_STATUS, _conditional_move, dialect_insert, moves_forward, utcnow
from crm.outbox.signals import address_failing

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


class BadSignature(Exception):
    """The request is not signed by our key, or not recently."""


def load_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER), or PEM."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve public key.")
    return key


def verify_request(public_key: str, signature: str | None, timestamp: str | None, body: bytes,
                   max_age_seconds: int, now: float | None = None) -> None:
    """Raise BadSignature unless `signature` is the ECDSA (SHA-256) signature of timestamp + body."""
    if not signature or not timestamp:
        raise BadSignature("The request carries no signature.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature("The timestamp is not a number.") from None
    now = now if now is not None else datetime.now(timezone.utc).timestamp()
    if abs(now - sent_at) > max_age_seconds:
        raise BadSignature("The timestamp is outside the freshness window.")
    try:
        raw = base64.b64decode(signature, validate=True)
        load_public_key(public_key).verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise BadSignature("The signature does not match.") from None


def _insert_new(session: Session, rows: list[dict]) -> set[str]:
    """Store events whose provider id is not stored yet; returns the provider ids that were new."""
    stmt = dialect_insert(session, DeliveryEvent).on_conflict_do_nothing(index_elements=["provider_event_id"]).returning(
        DeliveryEvent.provider_event_id)
    return set(session.execute(stmt, rows).scalars())


def _message_ids(session: Session, events: list[dict]) -> dict[int, int | None]:
    """Our message id for each event (by position): the custom arg, else provider message id + address."""
    wanted: dict[int, int] = {}
    by_provider: dict[int, tuple[str, str]] = {}
    for index, event in enumerate(events):
        try:
            wanted[index] = int(event["crm_message_id"])
        except (KeyError, TypeError, ValueError):
            if event["_provider_id"]:
                by_provider[index] = (event["_provider_id"], str(event.get("email") or ""))
    known: set[int] = set()
    ids = sorted(set(wanted.values()))
    for start in range(0, len(ids), 500):
        known.update(session.scalars(select(OutboundMessage.id).where(OutboundMessage.id.in_(ids[start:start + 500]))))
    found = {index: message_id if message_id in known else None for index, message_id in wanted.items()}
    for index, (provider_id, address) in by_provider.items():
        found[index] = session.scalar(select(OutboundMessage.id).where(
            OutboundMessage.provider_message_id == provider_id, OutboundMessage.to_address == address).limit(1))
    return found


def _occurred_at(event: dict) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), timezone.utc).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def _reason(event: dict) -> str | None:
    reason = event.get("reason") or event.get("response")
    return str(reason)[:500] if reason else None


def record_events(session: Session, events: list) -> dict[str, int]:
    """Store new events once each and move their messages forward; returns counts.

    Works on the whole batch at once: one query to find the messages, one insert that skips events
    already stored (the provider sends each event several times), one update per message moved.
    """
    counts = {"received": len(events), "new": 0, "duplicate": 0, "ignored": 0}
    valid, seen = [], set()
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("sg_event_id"), str) \
                or not isinstance(event.get("event"), str):
            counts["ignored"] += 1
        elif event["sg_event_id"][:100] in seen:
            counts["duplicate"] += 1
        else:
            seen.add(event["sg_event_id"][:100])
            valid.append(dict(event, _provider_id=str(event.get("sg_message_id") or "").split(".")[0] or None))
    message_of = _message_ids(session, valid)
    new = _insert_new(session, [{
        "provider_event_id": event["sg_event_id"][:100], "event": event["event"][:30],
        "message_id": message_of.get(index), "provider_message_id": event["_provider_id"],
        "address": str(event.get("email") or "")[:254] or None, "reason": _reason(event),
        "occurred_at": _occurred_at(event)} for index, event in enumerate(valid)]) if valid else set()
    counts["new"] = len(new)
    counts["duplicate"] += len(valid) - len(new)
    best: dict[int, tuple[str, str | None]] = {}
    for index, event in enumerate(valid):
        if event["sg_event_id"][:100] not in new:
            continue
        status, message_id = EVENT_STATUS.get(event["event"]), message_of.get(index)
        if status and message_id and (message_id not in best or moves_forward(best[message_id][0], status)):
            best[message_id] = (status, event["_provider_id"])
        if event["event"] == "bounce" and event.get("email"):
            count_bounce(session, str(event["email"]).lower()[:254], _reason(event))
    ids = sorted(best)
    for start in range(0, len(ids), 500):
        for message in session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids[start:start + 500]))
                                       .execution_options(populate_existing=True)):
            status, provider_id = best[message.id]
            if moves_forward(message.status, status):
                apply_event_status(session, message, status, provider_id)
    session.flush()
    return counts


def apply_event_status(session: Session, message: OutboundMessage, status: str, provider_id: str | None) -> bool:
    """Move the message to `status` if that is forward of where it is (checked in the UPDATE itself)."""
    behind = tuple(old for old, rank in STATUS_RANK.items() if rank < STATUS_RANK[status])
    values = {"lease_owner": None, "lease_until": None, "unknown_since": None}
    moved = _conditional_move(session, [message], behind, status, **values)
    if moved and provider_id:
        session.execute(update(OutboundMessage).where(OutboundMessage.id == message.id,
                                                      OutboundMessage.provider_message_id.is_(None))
                        .values(provider_message_id=provider_id), execution_options={"synchronize_session": False})
    session.expire(message)
    return bool(moved)


def count_bounce(session: Session, address: str, reason: str | None) -> AddressHealth:
    """One more bounce for `address`; past MAIL_BOUNCE_THRESHOLD it is marked failing."""
    health = session.scalar(select(AddressHealth).where(AddressHealth.address == address).with_for_update())
    if health is None:
        health = AddressHealth(address=address, bounces=0, failing=False)
        session.add(health)
    health.bounces += 1
    health.last_bounce_at = utcnow()
    health.last_reason = reason
    session.flush()
    if not health.failing and health.bounces >= current_app.config["MAIL_BOUNCE_THRESHOLD"]:
        health.failing = True
        session.flush()
        address_failing.send(current_app._get_current_object(), session=session, address=address,
                             bounces=health.bounces)
    return health
