"""The SendGrid Event Webhook: signature check, event deduplication, forward-only status moves."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.outbox.models import AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import dialect_insert, utcnow
from crm.outbox.signals import address_failing
from crm.outbox.status import EVENT_STATUS, apply_event_status, moves_forward

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


# SendGrid posts a list of flat objects (some hold a list of categories): three levels at most.
MAX_NESTING = 8
MAX_REJECTED_LISTED = 20
# A JSON string, possessive so an unterminated one is swallowed in one pass (no quadratic retries).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
# PostgreSQL text cannot hold NUL; no driver can encode a lone surrogate ("\ud800" in JSON).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NOT_AN_ID = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class BadSignature(Exception):
    """The request is not signed by our key, or not recently."""


class BadBody(ValueError):
    """The body is not a JSON list of events we can read; `code` names why for the 400."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def load_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER), or PEM. Cryptography is imported here: the
    worker and most pages never verify a webhook."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    text = value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve public key.")
    return key


def verify_request(
    public_key: str,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    max_age_seconds: int,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless `signature` is the ECDSA (SHA-256) signature of timestamp + body."""
    if not signature or not timestamp:
        raise BadSignature("The request carries no signature.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature("The timestamp is not a number.") from None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    now = now if now is not None else datetime.now(UTC).timestamp()
    if abs(now - sent_at) > max_age_seconds:
        raise BadSignature("The timestamp is outside the freshness window.")
    try:
        raw = base64.b64decode(signature, validate=True)
        load_public_key(public_key).verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise BadSignature("The signature does not match.") from None


def nesting_depth(text: str, stop_past: int) -> int:
    """How deep arrays and objects nest in JSON `text`, ignoring brackets inside strings; counts no further than
    one past `stop_past`. Linear time, so a body nested 100,000 deep is measured before the parser recurses."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > stop_past:
            break
    return deepest


def parse_events(body: bytes) -> list:
    """The body's list of events; raises BadBody for a body that is not UTF-8 JSON, not a list, or nested deeper
    than MAX_NESTING (json would recurse once per level: 100,000 levels were a RecursionError, a 500)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadBody("bad_json", "The body is not UTF-8 JSON.") from None
    if nesting_depth(text, MAX_NESTING) > MAX_NESTING:
        raise BadBody(
            "too_deep",
            f"The body is nested more than {MAX_NESTING} levels deep; SendGrid's events are a list of flat objects.",
        )
    try:
        events = json.loads(text)
    except (ValueError, RecursionError):
        raise BadBody("bad_json", "The body is not JSON.") from None
    if not isinstance(events, list):
        raise BadBody("bad_json", "The body must be a JSON list of events.")
    return events


def storable_text(value, length: int) -> str | None:
    """A string field as a column can hold it: NULs and lone surrogates removed, cut to `length`; any other type
    (a number, a list, an object) is None."""
    if not isinstance(value, str):
        return None
    return _UNSTORABLE.sub("", value)[:length] or None


def _problem(event) -> str | None:
    """Why an event cannot be stored at all, or None. Ids are kept as sent or not at all: cleaning one could make
    it another event's id."""
    if not isinstance(event, dict):
        return "An event must be a JSON object."
    for field in ("sg_event_id", "event"):
        value = event.get(field)
        if not isinstance(value, str) or not value.strip() or _NOT_AN_ID.search(value):
            return f"{field} must be text without control characters."
    return None


def _our_message_id(value) -> int | None:
    """The crm_message_id custom arg as one of our ids (a positive 32-bit integer), or None."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def _insert_new(session: Session, rows: list[dict]) -> set[str]:
    """Store events whose provider id is not stored yet; returns the provider ids that were new."""
    stmt = (
        dialect_insert(session, DeliveryEvent)
        .on_conflict_do_nothing(index_elements=["provider_event_id"])
        .returning(DeliveryEvent.provider_event_id)
    )
    return set(session.execute(stmt, rows).scalars())


def _message_ids(session: Session, events: list[dict]) -> dict[int, int | None]:
    """Our message id for each event (by position): the custom arg, else provider message id + address."""
    wanted: dict[int, int] = {}
    by_provider: dict[int, tuple[str, str]] = {}
    for index, event in enumerate(events):
        if event["crm_id"] is not None:
            wanted[index] = event["crm_id"]
        elif event["provider_message_id"]:
            by_provider[index] = (event["provider_message_id"], event["address"] or "")
    known: set[int] = set()
    ids = sorted(set(wanted.values()))
    for start in range(0, len(ids), 500):
        known.update(
            session.scalars(select(OutboundMessage.id).where(OutboundMessage.id.in_(ids[start : start + 500])))
        )
    found = {index: message_id if message_id in known else None for index, message_id in wanted.items()}
    for index, (provider_id, address) in by_provider.items():
        found[index] = session.scalar(
            select(OutboundMessage.id)
            .where(OutboundMessage.provider_message_id == provider_id, OutboundMessage.to_address == address)
            .limit(1)
        )
    return found


def _occurred_at(event: dict) -> datetime | None:
    stamp = event.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, (str, int, float)):
        return None
    try:
        return datetime.fromtimestamp(int(stamp), UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _row(event: dict) -> dict:
    """An event as a delivery_events row can hold it, plus our message id from the custom arg."""
    reason = storable_text(event.get("reason"), 500) or storable_text(event.get("response"), 500)
    provider_id = (storable_text(event.get("sg_message_id"), 120) or "").split(".")[0] or None
    return {
        "provider_event_id": event["sg_event_id"][:100],
        "event": event["event"][:30],
        "provider_message_id": provider_id,
        "address": storable_text(event.get("email"), 254),
        "reason": reason,
        "occurred_at": _occurred_at(event),
        "crm_id": _our_message_id(event.get("crm_message_id")),
    }


def _sort_batch(events: list, counts: dict) -> list[dict]:
    """The batch's storable events, once each, as rows; counts and lists (the first few) the rejected ones."""
    rows, seen = [], set()
    for index, event in enumerate(events):
        problem = _problem(event)
        if problem:
            counts["ignored"] += 1
            if len(counts["rejected"]) < MAX_REJECTED_LISTED:
                counts["rejected"].append({"index": index, "reason": problem})
        elif event["sg_event_id"][:100] in seen:
            counts["duplicate"] += 1
        else:
            seen.add(event["sg_event_id"][:100])
            rows.append(_row(event))
    return rows


def record_events(session: Session, events: list) -> dict:
    """Store new events once each and move their messages forward; returns counts and the rejected events.

    Works on the whole batch at once: one query to find the messages, one insert that skips events
    already stored (the provider sends each event several times), one update per message moved.
    """
    counts = {"received": len(events), "new": 0, "duplicate": 0, "ignored": 0, "rejected": []}
    rows = _sort_batch(events, counts)
    message_of = _message_ids(session, rows)
    new = (
        _insert_new(
            session,
            [
                {key: value for key, value in row.items() if key != "crm_id"} | {"message_id": message_of.get(index)}
                for index, row in enumerate(rows)
            ],
        )
        if rows
        else set()
    )
    counts["new"] = len(new)
    counts["duplicate"] += len(rows) - len(new)
    best: dict[int, tuple[str, str | None]] = {}
    for index, row in enumerate(rows):
        if row["provider_event_id"] not in new:
            continue
        status, message_id = EVENT_STATUS.get(row["event"]), message_of.get(index)
        if status and message_id and (message_id not in best or moves_forward(best[message_id][0], status)):
            best[message_id] = (status, row["provider_message_id"])
        if row["event"] == "bounce" and row["address"]:
            count_bounce(session, row["address"].lower()[:254], row["reason"])
    ids = sorted(best)
    for start in range(0, len(ids), 500):
        for message in session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(ids[start : start + 500]))
            .execution_options(populate_existing=True)
        ):
            status, provider_id = best[message.id]
            if moves_forward(message.status, status):
                apply_event_status(session, message, status, provider_id)
    session.flush()
    return counts


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
        address_failing.send(
            current_app._get_current_object(), session=session, address=address, bounces=health.bounces
        )
    return health
