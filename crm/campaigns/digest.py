"""Daily digests for offices that ask for them: a campaign set to "daily_digest" sends each office one email a day
listing every letter written to it since the last digest, each in full with its writer's signature.

Why it works this way: docs/design-notes.md, "campaigns/digest.py".
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from email.utils import formataddr, parseaddr
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from crm.campaigns.models import Campaign, Letter, LetterDigest
from crm.campaigns.services import html_body
from crm.lib.i18n import in_language
from crm.lib.schedule import DailyAt, scheduled_job
from crm.outbox.services import dialect_insert, one_line, queue_message, utcnow

log = logging.getLogger(__name__)
TORONTO = ZoneInfo("America/Toronto")
MAX_LETTERS = 100  # per email: 100 letters of the longest allowed are some 2 MB; more make a second part
RULE = "=" * 72


def digest_day(now: datetime) -> tuple[date, datetime]:
    """The Toronto day of `now` (naive UTC), and the naive UTC time it began: letters before it are due."""
    local = now.replace(tzinfo=UTC).astimezone(TORONTO)
    began = datetime.combine(local.date(), time.min, tzinfo=TORONTO).astimezone(UTC)
    return local.date(), began.replace(tzinfo=None)


def _waiting(cutoff: datetime | None) -> list:
    conditions = [Letter.for_digest.is_(True), Letter.message_id.is_(None)]
    return conditions + ([Letter.created_at < cutoff] if cutoff is not None else [])


def due_offices(session: Session, cutoff: datetime | None) -> list[tuple[int, str]]:
    """(campaign id, office address) of every office with letters waiting from before `cutoff`."""
    return [
        tuple(row)
        for row in session.execute(
            select(Letter.campaign_id, Letter.to_address)
            .where(*_waiting(cutoff))
            .distinct()
            .order_by(Letter.campaign_id, Letter.to_address)
        )
    ]


def send_due_digests(session: Session, now: datetime | None = None, *, include_today: bool = False) -> int:
    """Queue the digest of every office with letters waiting from before today (Toronto), or all waiting letters
    with `include_today`; returns how many digest emails were queued. Flushes; the caller commits."""
    now = now or utcnow()
    day, cutoff = digest_day(now)
    cutoff = None if include_today else cutoff
    _withdraw_erased(session)
    queued = 0
    for campaign_id, to_address in due_offices(session, cutoff):
        queued += build_office_digest(session, campaign_id, to_address, day, cutoff)
    return queued


def _withdraw_erased(session: Session) -> None:
    """A waiting letter whose writer was erased (its signature gone) is never sent: it stops waiting."""
    erased = list(session.scalars(select(Letter.id).where(*_waiting(None), Letter.signature.is_(None))))
    if erased:  # read first: a pass with nothing to do takes no write lock
        session.execute(
            update(Letter).where(Letter.id.in_(erased)).values(for_digest=False),
            execution_options={"synchronize_session": False},
        )


def build_office_digest(session: Session, campaign_id: int, to_address: str, day: date, cutoff: datetime | None) -> int:
    """Queue one office's digest for `day`, in parts of MAX_LETTERS; 0 when another run has it already."""
    campaign = session.get(Campaign, campaign_id)
    part = 0
    while True:
        ids = _waiting_ids(session, campaign_id, to_address, cutoff)
        if not ids:
            return part
        digest_id = _claim_digest(session, campaign_id, to_address, day, part + 1)
        if digest_id is None:  # another worker built (or is building) this office's digest today
            return part
        part += 1
        letters = _claim_letters(session, ids, digest_id, campaign, to_address, part)
        if not letters:  # nothing was left to claim: give the day's slot back
            session.execute(delete(LetterDigest).where(LetterDigest.id == digest_id))
            return part - 1


def _waiting_ids(session: Session, campaign_id: int, to_address: str, cutoff: datetime | None) -> list[int]:
    stmt = (
        select(Letter.id)
        .where(Letter.campaign_id == campaign_id, Letter.to_address == to_address, *_waiting(cutoff))
        .order_by(Letter.id)
        .limit(MAX_LETTERS)
    )
    return list(session.scalars(stmt))


def _claim_digest(session: Session, campaign_id: int, to_address: str, day: date, part: int) -> int | None:
    """Insert the day's digest row for the office; None if another run holds it (it waits for that run to end)."""
    stmt = (
        dialect_insert(session, LetterDigest)
        .values(campaign_id=campaign_id, to_address=to_address, sent_on=day, part=part, letters=0)
        .on_conflict_do_nothing(index_elements=["campaign_id", "to_address", "sent_on", "part"])
        .returning(LetterDigest.id)
    )
    return session.scalar(stmt)


def _claim_letters(
    session: Session, ids: list[int], digest_id: int, campaign: Campaign, to_address: str, part: int
) -> list[Letter]:
    """Point the letters still waiting at a new outbox message, fill it with them, and return them."""
    message = queue_message(session, kind="letter", to=to_address, subject="(digest)", text="")
    claimed = list(
        session.scalars(
            update(Letter)
            .where(Letter.id.in_(ids), Letter.message_id.is_(None))
            .values(message_id=message.id)
            .returning(Letter.id),
            execution_options={"synchronize_session": False},
        )
    )
    if not claimed:
        session.delete(message)
        session.flush()
        return []
    letters = list(
        session.scalars(
            select(Letter)
            .where(Letter.id.in_(claimed))
            .options(joinedload(Letter.person), joinedload(Letter.office))
            .order_by(Letter.id)
        )
    )
    with in_language(digest_language(letters)):
        subject, text = digest_text(campaign, letters, part)
        message.from_address = _from_address()
    message.subject, message.text_body, message.html_body = subject, text, html_body(text)
    session.execute(
        update(LetterDigest).where(LetterDigest.id == digest_id).values(letters=len(letters), message_id=message.id)
    )
    session.flush()
    return letters


def _from_address() -> str:
    _, address = parseaddr(current_app.config["MAIL_FROM"])
    return formataddr((gettext("ITPO members' letters"), address))


def digest_language(letters: list[Letter]) -> str:
    """French when the office the letters went to prefers French (issue 25), else English."""
    return "fr" if any(letter.office is not None and letter.office.prefers_french for letter in letters) else "en"


def digest_text(campaign: Campaign, letters: list[Letter], part: int = 1) -> tuple[str, str]:
    """The digest's subject and text: a short note to the office, then each letter in full with its signature.
    The framing is in the office's language (digest_language); the letters are as their writers wrote them."""
    count, person, name = len(letters), letters[0].person, one_line(campaign.name)
    subject = ngettext(
        "Daily digest: %(num)d letter from ITPO members about %(campaign)s",
        "Daily digest: %(num)d letters from ITPO members about %(campaign)s",
        count,
        campaign=name,
    )
    if part > 1:
        subject = gettext("%(subject)s (part %(part)d)", subject=subject, part=part)
    recipient = person.full_name + (f", {one_line(person.title)}" if person.title else "")
    lines = [
        gettext("To %(recipient)s", recipient=recipient),
        "",
        gettext(
            "Your office asked to receive letters from members of %(org)s in one email a day.",
            org=current_app.config["ORG_NAME"],
        )
        + " "
        + ngettext(
            'Below is the letter written to you in the campaign "%(campaign)s" since the last digest, in full and '
            "signed by its writer.",
            'Below are the %(num)d letters written to you in the campaign "%(campaign)s" since the last digest, '
            "each in full and signed by its writer.",
            count,
            campaign=name,
        ),
        "",
        gettext(
            "Please do not reply to this email: to answer a writer, write to the email address in their signature."
        ),
    ]
    for number, letter in enumerate(letters, start=1):
        lines += _letter_lines(letter, number, count)
    return one_line(subject)[:300], "\n".join(lines).rstrip() + "\n"


def _letter_lines(letter: Letter, number: int, count: int) -> list[str]:
    written = letter.created_at.replace(tzinfo=UTC).astimezone(TORONTO)
    heading = gettext(
        "Letter %(number)d of %(count)d, written %(when)s (Toronto time)",
        number=number,
        count=count,
        when=f"{written:%Y-%m-%d %H:%M}",
    )
    subject = gettext("Subject: %(subject)s", subject=one_line(letter.subject))
    return ["", RULE, heading, subject, RULE, "", letter.body, "", letter.signature or ""]


# --- in the worker
# ------------------------------------------------------------------------------------------------


@scheduled_job("letter-digests", DailyAt(0, 5), "Each office's daily digest of the letters written to it yesterday")
def send_digests_job(session: Session, now: datetime) -> dict:
    """The scheduled job: queue the day's digests, just after midnight Toronto time."""
    return {"digests": send_due_digests(session, now)}
