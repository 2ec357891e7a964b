"""The member's letter as one service: from a chosen recipient to a preview, a sent letter, or a letter that
waits for its writer to join or log in. Returns an outcome the write view turns into a page; flushes, never
commits, so the view commits once.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm.campaigns import services, similarity
from crm.campaigns.models import Campaign, LetterTemplate, PendingLetter, TemplateFailure
from crm.campaigns.services import Recipient, TemplateFailed
from crm.lib.errors import ValidationError
from crm.lib.schedule import Every, scheduled_job
from crm.outbox.services import dialect_insert

WAITING_DAYS = 7
UNAVAILABLE = _l(
    "This letter cannot be prepared right now. ITPO's campaign team has been told; please try again in a day or two."
)
_ID_DIGITS = 9


@dataclass
class Outcome:
    """What became of a request on the letter page; `kind` says which page the view shows."""

    kind: str  # draft | sent | duplicate | stopped | unknown_recipient | unavailable | waiting | invalid
    recipient: Recipient | None = None
    letter_id: int | None = None
    message: str | None = None
    blocks: list = field(default_factory=list)
    preview: dict | None = None
    problems: dict = field(default_factory=dict)
    pending_token: str | None = None


def small_id(raw: str | None) -> int | None:
    """A database id from user input: ASCII digits that fit an integer column, else None."""
    return int(raw) if raw and raw.isdigit() and raw.isascii() and len(raw) <= _ID_DIGITS else None


def resolve_recipient(session: Session, campaign: Campaign, key: str, user=None) -> Recipient | None:
    """The recipient a key names ('district-<id>' or 'person-<id>'), if it fits the campaign's kind; a riding's
    representative comes with the riding `user` (None: a visitor) writes from, read in the same statement."""
    kind, _, raw_id = (key or "").partition("-")
    record_id = small_id(raw_id)
    if record_id is None:
        return None
    if campaign.kind == "own_representative" and kind == "district":
        profile = getattr(user, "profile", None)
        return services.recipient_for_district(
            session,
            campaign,
            record_id,
            for_writer=True,
            writer_district_id=profile.district_id if profile is not None else None,
        )
    if campaign.kind == "fixed_targets" and kind == "person":
        return next((r for r in services.fixed_recipients(session, campaign) if r.person.id == record_id), None)
    return None


def prepare(
    session: Session,
    campaign: Campaign,
    user,
    key: str,
    template: LetterTemplate,
    edits: dict[int, str],
    *,
    posted: bool,
    send: bool,
    postal_code: str | None = None,
    recipient: Recipient | None = None,
) -> Outcome:
    """The letter page for `user` (None: a visitor) writing to the recipient `key` names.

    posted: the member's text came with the request (show a preview); send: they asked to send it;
    postal_code: typed by a member with none on file, for the preview's signature; recipient: the one `key`
    names, when the caller read it for this writer already (`recipients.template_and_recipient`).
    """
    recipient = recipient or resolve_recipient(session, campaign, key, user)
    if recipient is None:
        return Outcome("unknown_recipient")
    if recipient.problem:
        if user is not None:
            services.record_obstacle(session, campaign, user.id, recipient)
        return Outcome("stopped", recipient, message=services.obstacle_message(recipient))
    if user is not None and not send:
        duplicate = services.existing_letter(session, campaign.id, user.id, recipient.person.id)
        if duplicate is not None:
            return Outcome("duplicate", recipient, letter_id=duplicate.id)
    context = services.letter_context(session, campaign, user, recipient, template.language)
    try:
        blocks = services.draft_blocks(template, context)
        subject, body, problems = services.compose(template, context, edits) if posted else (None, None, {})
    except TemplateFailed as failure:
        note_template_failure(session, campaign, template, context, failure)
        return Outcome("unavailable", recipient, message=str(UNAVAILABLE))
    if send and not problems:
        if user is None:
            return Outcome("waiting", recipient, pending_token=save_pending(session, campaign, template, key, edits))
        outcome = _send(session, campaign, user, recipient, template, edits, (subject, body))
        outcome.blocks = blocks
        return outcome
    preview = (
        _preview(session, campaign, user, recipient, template, edits, postal_code, subject, body) if posted else None
    )
    return Outcome("draft", recipient, blocks=blocks, preview=preview, problems=problems)


def _preview(session, campaign, user, recipient, template, edits, postal_code, subject, body) -> dict:
    """What the preview shows: the letter as it will be sent, its near-copy score, signature and sender."""
    return {
        "subject": subject,
        "body": body,
        "to": recipient.person.full_name,
        "similarity": similarity.check_text(
            session, campaign.id, services.personal_text(template, edits), exclude_user_id=user.id if user else None
        ),
        "signature": services.signature_for(
            user, recipient, campaign, postal_code=postal_code, language=template.language
        ),
        "from": services.sender_addresses(
            user.name if user else services.VISITOR_NAME, user.email if user else "you@example.org"
        ),
    }


def _send(session, campaign, user, recipient, template, edits, composed) -> Outcome:
    """Send the letter. A refusal is found before anything is written; a double submit that races past the
    duplicate check raises IntegrityError on the letter's unique constraint, and the caller rolls back (see
    `after_race`)."""
    try:
        letter_id = services.send_letter(
            session,
            campaign=campaign,
            user=user,
            recipient=recipient,
            template=template,
            edits=edits,
            check_duplicate=False,
            composed=composed,
        )
    except ValidationError as error:
        return Outcome("invalid", recipient, message=error.message)
    return Outcome("sent", recipient, letter_id=letter_id)


def after_race(session: Session, campaign: Campaign, user_id: int, key: str) -> Outcome | None:
    """After a rolled-back IntegrityError: the letter the other tab sent, if that is what happened."""
    recipient = resolve_recipient(session, campaign, key)
    first = (
        recipient and recipient.person and services.existing_letter(session, campaign.id, user_id, recipient.person.id)
    )
    return Outcome("duplicate", recipient, letter_id=first.id) if first else None


# --- template failures, for the lead
# ------------------------------------------------------------------------


def note_template_failure(
    session: Session, campaign: Campaign, template: LetterTemplate, context: dict, failure: TemplateFailed
) -> None:
    """Count a failed render for the lead, with the values it failed for (never the member's name)."""
    values = json.dumps({k: v for k, v in context.items() if k != "member_name"}, ensure_ascii=False)[:2000]
    message = failure.message[:300]
    now = datetime.utcnow()
    moved = session.execute(
        update(TemplateFailure)
        .where(
            TemplateFailure.template_id == template.id,
            TemplateFailure.position == failure.position,
            TemplateFailure.message == message,
        )
        .values(failures=TemplateFailure.failures + 1, last_at=now, sample_values=values)
    ).rowcount
    if not moved:  # the first failure of its kind; a concurrent first is skipped, not an error
        session.execute(
            dialect_insert(session, TemplateFailure)
            .values(
                campaign_id=campaign.id,
                template_id=template.id,
                position=failure.position,
                message=message,
                sample_values=values,
                failures=1,
                first_at=now,
                last_at=now,
            )
            .on_conflict_do_nothing(index_elements=["template_id", "position", "message"])
        )
    current_app.logger.warning("template %s part %s failed for a member: %s", template.id, failure.position, message)


def template_failures(session: Session, campaign_id: int) -> list[dict]:
    """What the lead's dashboard lists: each failing template part, how often, and the values it failed for."""
    rows = session.execute(
        select(TemplateFailure, LetterTemplate.version)
        .join(LetterTemplate, LetterTemplate.id == TemplateFailure.template_id)
        .where(TemplateFailure.campaign_id == campaign_id)
        .order_by(TemplateFailure.last_at.desc())
        .limit(20)
    )
    return [
        {
            "template_id": row.template_id,
            "version": version,
            "part": "the subject" if row.position == 0 else f"block {row.position}",
            "message": row.message,
            "failures": row.failures,
            "last_at": row.last_at,
            "values": json.loads(row.sample_values),
        }
        for row, version in rows
    ]


# --- letters that wait for their writer
# ---------------------------------------------------------------------


def save_pending(
    session: Session, campaign: Campaign, template: LetterTemplate, key: str, edits: dict[int, str]
) -> str:
    """Keep a visitor's letter until they join or log in; returns its token (a bearer secret)."""
    token = secrets.token_urlsafe(32)
    session.add(
        PendingLetter(
            token=token,
            campaign_id=campaign.id,
            template_id=template.id,
            recipient_key=key[:40],
            edits=json.dumps({str(k): v for k, v in edits.items()}, ensure_ascii=False),
        )
    )
    session.flush()
    return token


def _fresh(now: datetime | None = None):
    return PendingLetter.created_at >= (now or datetime.utcnow()) - timedelta(days=WAITING_DAYS)


def pending_by_token(session: Session, token: str | None, campaign_id: int | None = None) -> PendingLetter | None:
    """A waiting letter by its token, if it has not expired."""
    if not token or len(token) > 64:
        return None
    stmt = select(PendingLetter).where(PendingLetter.token == token, _fresh())
    if campaign_id is not None:
        stmt = stmt.where(PendingLetter.campaign_id == campaign_id)
    return session.scalar(stmt)


def pending_edits(pending: PendingLetter) -> dict[int, str]:
    return {int(k): v for k, v in json.loads(pending.edits).items()}


def claim_pending(session: Session, token: str | None, user_id: int) -> PendingLetter | None:
    """Give a waiting letter to the member who wrote it (after they join or log in); another's is never taken."""
    pending = pending_by_token(session, token)
    if pending is None or (pending.user_id is not None and pending.user_id != user_id):
        return None
    pending.user_id = user_id
    session.flush()
    return pending


def send_waiting_letters(session: Session, user, today: date | None = None) -> list[Outcome]:
    """Send the letters a member wrote before confirming their address; each outcome says what happened."""
    outcomes = []
    for pending in session.scalars(
        select(PendingLetter).where(PendingLetter.user_id == user.id, _fresh()).order_by(PendingLetter.id)
    ).all():
        outcomes.append(_send_pending(session, pending, user, today or date.today()))
        session.execute(delete(PendingLetter).where(PendingLetter.id == pending.id))
    return outcomes


def _send_pending(session, pending: PendingLetter, user, today: date) -> Outcome:
    campaign = pending.campaign
    if not campaign.is_open(today):
        return Outcome(
            "invalid",
            message=gettext(
                "The campaign \u201c%(name)s\u201d closed before you confirmed your address, "
                "so your letter was not sent.",
                name=campaign.name,
            ),
        )
    template = session.get(LetterTemplate, pending.template_id)
    outcome = prepare(
        session, campaign, user, pending.recipient_key, template, pending_edits(pending), posted=True, send=True
    )
    if outcome.kind == "draft":  # the text no longer passes (e.g. a new minimum): the member finishes it
        return Outcome(
            "invalid",
            outcome.recipient,
            message=gettext("Your letter needs a little more before it can be sent: open the campaign and finish it."),
        )
    return outcome


def save_postal_code(session: Session, user, postal_code: str) -> None:
    """A member who had none gives their postal code with a letter: it goes on their profile."""
    from crm.members.models import MemberProfile
    from crm.reference.services import province_for_postal_code

    profile = user.profile
    if profile is None:
        profile = MemberProfile(user_id=user.id)
        session.add(profile)
    profile.postal_code = postal_code
    profile.province = province_for_postal_code(postal_code) or profile.province
    session.flush()


def save_riding(session: Session, user, recipient: Recipient) -> None:
    """The member agreed to keep the riding they wrote to as theirs."""
    if user.profile is not None and recipient is not None and recipient.district is not None:
        user.profile.district_id = recipient.district.id
        session.flush()


def expire_pending(session: Session, now: datetime | None = None) -> int:
    """Delete waiting letters older than seven days, with their text; returns how many."""
    cutoff = (now or datetime.utcnow()) - timedelta(days=WAITING_DAYS)
    return session.execute(delete(PendingLetter).where(PendingLetter.created_at < cutoff)).rowcount or 0


@scheduled_job("waiting-letters-expiry", Every(3600), "Delete letters waiting for their writer to join, after 7 days")
def expire_pending_job(session: Session, now: datetime) -> dict:
    return {"deleted": expire_pending(session, now)}
