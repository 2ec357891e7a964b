"""The SendGrid Event Webhook: signature check, event deduplication, forward-only status moves."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.outbox.models import AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import EVENT_STATUS, _conditional_move, moves_forward, utcnow
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


def _insert_once(session: Session, values: dict) -> bool:
    """Store the event unless its provider id is already stored; True if it is new."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(DeliveryEvent).values(**values).on_conflict_do_nothing(
        index_elements=["provider_event_id"]).returning(DeliveryEvent.id)
    return session.execute(stmt).scalar() is not None


def _find_message(session: Session, event: dict, provider_id: str | None) -> OutboundMessage | None:
    raw = event.get("crm_message_id")
    if raw is not None:
        try:
            return session.get(OutboundMessage, int(raw))
        except (TypeError, ValueError):
            return None
    if provider_id:
        return session.scalar(select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_id,
                                                            OutboundMessage.to_address == event.get("email"))
                              .limit(1))
    return None


def _occurred_at(event: dict) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), timezone.utc).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def record_events(session: Session, events: list) -> dict[str, int]:
    """Store new events once each and move their messages forward; returns counts."""
    counts = {"received": len(events), "new": 0, "duplicate": 0, "ignored": 0}
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("sg_event_id"), str) \
                or not isinstance(event.get("event"), str):
            counts["ignored"] += 1
            continue
        provider_id = str(event.get("sg_message_id") or "").split(".")[0] or None
        message = _find_message(session, event, provider_id)
        reason = event.get("reason") or event.get("response")
        is_new = _insert_once(session, {
            "provider_event_id": event["sg_event_id"][:100], "event": event["event"][:30],
            "message_id": message.id if message else None, "provider_message_id": provider_id,
            "address": str(event.get("email") or "")[:254] or None, "reason": str(reason)[:500] if reason else None,
            "occurred_at": _occurred_at(event)})
        if not is_new:
            counts["duplicate"] += 1
            continue
        counts["new"] += 1
        status = EVENT_STATUS.get(event["event"])
        if message is not None and status:
            apply_event_status(session, message, status, provider_id)
        if event["event"] == "bounce" and event.get("email"):
            count_bounce(session, str(event["email"]).lower()[:254], str(reason)[:500] if reason else None)
    session.flush()
    return counts


def apply_event_status(session: Session, message: OutboundMessage, status: str, provider_id: str | None) -> bool:
    """Move the message to `status` if that is forward of where it is."""
    session.refresh(message, ["status"])
    if not moves_forward(message.status, status):
        return False
    values = {"lease_owner": None, "lease_until": None, "unknown_since": None}
    if provider_id and not message.provider_message_id:
        values["provider_message_id"] = provider_id
    moved = _conditional_move(session, [message], (message.status,), status, **values)
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
