"""Emails to members (calls to action, digests): CASL footer, one-click unsubscribe, bulk batches."""

from __future__ import annotations

import orjson
from flask import current_app, url_for
from flask_babel import get_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from crm.lib.bulk import insert_rows_returning_ids
from crm.lib.i18n import N_
from crm.lib.signing import signature_of
from crm.lib.sql import analyze
from crm.outbox.backends import BODY_TOKEN
from crm.outbox.models import UNSUBSCRIBE_TOKEN, MailBatch, OutboundMessage, Suppression
from crm.outbox.services import one_line, utcnow
from crm.outbox.signals import address_unsubscribed


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="crm.outbox.unsubscribe")


def unsubscribe_token(address: str, user_id: int | None) -> str:
    """A token that never expires (CASL: the link must keep working), bound to one address. The signer is made
    once per application and secret key: deriving its key showed in every letter's send."""
    makers = current_app.extensions.setdefault("crm.unsubscribe_tokens", {})
    secret = current_app.config["SECRET_KEY"]
    maker = makers.get(secret)
    if maker is None:
        maker = makers[secret] = _token_maker()
    return maker(address, user_id)


def _token_maker():
    """Signs unsubscribe tokens for a hundred thousand members in a second instead of six: the signing key is
    derived once, and the payload is never zlib-compressed (an address is too short to gain from it; itsdangerous
    reads either form), so these are the tokens `read_unsubscribe_token` reads with `URLSafeSerializer.loads`."""
    serializer = _serializer()
    signer = serializer.make_signer(serializer.salt)
    sign, separator = signature_of(signer), signer.sep

    def make(address: str, user_id: int | None) -> str:
        value = base64_encode(orjson.dumps({"a": address.lower(), "u": user_id}))  # compact JSON, as json writes it
        return (value + separator + sign(value)).decode()

    return make


def read_unsubscribe_token(token: str) -> dict | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("a"), str) else None


CONSENTED = N_("because you agreed to hear from us when you joined")


def casl_footer(html: bool = False, because: str = CONSENTED) -> str:
    """Who sends this, where to reach them, why, and how to stop it (the link is filled in per recipient), in the
    language of the moment (callers render it inside `in_language` for the recipient); `because` is marked N_.
    Made once per application, language and sender: every letter's copy carries one."""
    config = current_app.config
    key = (str(get_locale()), html, because, config["ORG_NAME"], config["ORG_MAILING_ADDRESS"])
    footers = current_app.extensions.setdefault("crm.casl_footers", {})
    footer = footers.get(key)
    if footer is None:
        footer = footers[key] = _casl_footer(html, because)
    return footer


def _casl_footer(html: bool, because: str) -> str:
    config = current_app.config
    text = gettext(
        "This email was sent by %(org)s, %(address)s, %(because)s.",
        org=config["ORG_NAME"],
        address=config["ORG_MAILING_ADDRESS"],
        because=gettext(because),
    )
    unsubscribe, how = gettext("Unsubscribe"), gettext("(one click, no login)")
    if html:
        return f'<hr><p><small>{text} <a href="{UNSUBSCRIBE_TOKEN}">{unsubscribe}</a> {how}.</small></p>'
    return f"\n\n--\n{text}\n{unsubscribe} {how}: {UNSUBSCRIBE_TOKEN}\n"


# SendGrid takes at most 10,000 bytes of substitutions per recipient: text and unsubscribe link.
PERSONAL_TEXT_MAX_BYTES = 9_000


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, in a request or not (the worker, the CLI: SERVER_NAME or PUBLIC_BASE_URL)."""
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
            return url_for(endpoint, _external=True, **values)


def personal_text_fits(text: str) -> bool:
    """Whether one recipient's own text fits in a bulk request (SendGrid's limit on substitutions); a text of
    at most a quarter of the limit in characters fits whatever they are (UTF-8: 4 bytes at most each)."""
    return len(text) * 4 <= PERSONAL_TEXT_MAX_BYTES or len(text.encode("utf-8")) <= PERSONAL_TEXT_MAX_BYTES


def start_personal_batch(session: Session, *, kind: str, subject: str) -> MailBatch:
    """A batch whose recipients each get their own subject and text (queue_personal_emails), in one frame:
    the CASL footer and the one-click unsubscribe link."""
    batch = MailBatch(
        kind=kind,
        from_address=current_app.config["MAIL_FROM"],
        subject=one_line(subject)[:300],
        text_body=BODY_TOKEN + casl_footer(),
        html_body=None,
    )
    session.add(batch)
    session.flush()
    return batch


def queue_personal_emails(session: Session, batch: MailBatch, emails: list[tuple[int, str, str, str]]) -> list[int]:
    """Queue (user id, address, subject, text) rows in a personal batch; returns their message ids, in order.

    The caller has chosen who (consent, suppression) and checked each text with personal_text_fits."""
    return insert_personal_rows(session, personal_rows(batch, emails))


# The session.info key under which a worker's jobs thread offers its HandOver (outbox/worker.py).
HAND_OVER = "crm.outbox.hand_over"


def insert_personal_rows(session: Session, rows: list[dict]) -> list[int]:
    """Write rows made by personal_rows; their message ids, in order. In a worker's pass job they are written already
    claimed by that worker, which sends them once the job commits (design-notes, "outbox/worker.py: HandOver")."""
    hand_over = session.info.get(HAND_OVER)
    claimed = hand_over is not None and hand_over.claim(session, rows)
    # personal_rows made every value of its column's Python type, so COPY may take them in binary format
    ids = insert_rows_returning_ids(session, OutboundMessage.__table__, rows, binary=True)
    if claimed:
        hand_over.written(rows, ids)
    return ids


def personal_rows(batch: MailBatch, emails: list[tuple[int, str, str, str]]) -> list[dict]:
    """The outbox rows of (user id, address, subject, text) in a personal batch, each with its unsubscribe link;
    reads nothing from the database (a mailing makes them while another thread writes)."""
    now = utcnow()
    base = external_url("outbox.unsubscribe", token="TOKEN")
    token = _token_maker()
    return [
        {
            "kind": batch.kind,
            "user_id": user_id,
            "batch_id": batch.id,
            "to_address": address,
            "from_address": batch.from_address,
            "subject": one_line(subject)[:300],
            "text_body": text,
            "unsubscribe_url": base.replace("TOKEN", token(address, user_id)),
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "possible_duplicate": False,
        }
        for user_id, address, subject, text in emails
    ]


ANALYZE_AFTER = 10_000  # messages queued at once past which PostgreSQL's planner is told (see below)


def after_queueing_many(session: Session, queued: int, before: int = 0) -> None:
    """After queueing `queued` messages (`before` already queued in earlier steps), refresh PostgreSQL's statistics of
    the outbox's status and batch once past ANALYZE_AFTER, as autovacuum would within the minute (why:
    docs/design-notes.md, "outbox/services.py: claim_messages")."""
    if session.info.get(HAND_OVER) is not None:
        return  # written claimed by a worker (outbox/worker.py: HandOver): no claim will plan for them
    if before < ANALYZE_AFTER <= before + queued and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL default_statistics_target = 10"))
        analyze(session, ["outbound_messages"], columns=("status", "batch_id"))


def queue_personal_emails_by_language(
    session: Session, *, kind: str, subject: str, emails: list[tuple[int, str, str, str, str]]
) -> list[int]:
    """Queue (user id, address, subject, text, language) rows in one personal batch per language, so each
    recipient's CASL footer is in their language; `subject` (the batch's, marked N_) is translated per batch.
    Returns the message ids in the order of `emails`."""
    from crm.lib.i18n import in_language

    ids: dict[int, int] = {}
    for language in sorted({email[4] for email in emails}):
        positions = [index for index, email in enumerate(emails) if email[4] == language]
        with in_language(language):
            batch = start_personal_batch(session, kind=kind, subject=gettext(subject))
        queued = queue_personal_emails(session, batch, [emails[index][:4] for index in positions])
        ids.update(zip(positions, queued, strict=True))
    return [ids[index] for index in range(len(emails))]


def unsubscribe(session: Session, address: str, user_id: int | None) -> bool:
    """Stop member emails to `address` at once: suppress it and cancel what is still queued.

    Returns False if it was already unsubscribed. Letters and account emails are not affected.
    """
    address = address.lower()
    if session.scalar(select(Suppression.id).where(Suppression.address == address)) is not None:
        return False
    session.add(Suppression(address=address, reason="unsubscribe"))
    session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.to_address == address,
            OutboundMessage.status == "queued",
            OutboundMessage.unsubscribe_url.is_not(None),
        )
        .values(status="cancelled", last_error="The recipient unsubscribed."),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    address_unsubscribed.send(current_app._get_current_object(), session=session, address=address, user_id=user_id)
    return True
