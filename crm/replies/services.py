"""Ask members whether the office replied, record the answer, and count replies. Services flush; callers commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, func, literal_column, select
from sqlalchemy.orm import Session, joinedload

from crm.auth.models import User
from crm.campaigns.models import Campaign, Letter
from crm.lib.bulk import update_rows
from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, in_language, recipient_language
from crm.members.small_counts import protect, shown_count
from crm.outbox.bulk import external_url, queue_personal_emails_by_language
from crm.outbox.models import AddressHealth, DeliveryEvent, OutboundMessage, Suppression
from crm.outbox.services import dialect_insert, utcnow
from crm.reference.models import ElectoralDistrict
from crm.replies.models import ANSWERS, REPLY_TEXT_MAX, TONES, LetterReply
from crm.stakeholders.models import Person, Stance
from crm.stakeholders.stances import add_stance

ASK_AFTER = timedelta(days=14)  # offices answer within two weeks if they answer at all (WriteToThem asks then too)
# Letters delivered longer ago than this are never asked (a worker that was down, the first run
# after deploying): a question about a letter from months ago gets guesses, not answers.
ASK_WITHIN = timedelta(days=28)
RUN_LIMIT = 20_000  # surveys queued per run; more wait for the next run
STANCE_SOURCE = "member-reported reply"
UNDELIVERED = ("bounced", "dropped", "failed")
_UNDELIVERED_EVENTS = ("bounce", "dropped")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


# --- the link ------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="crm.replies.survey")


def survey_token(reply_id: int, nonce: str) -> str:
    """A link token naming one survey; it stays valid (an office may answer late, and so may the member)."""
    return _serializer().dumps([reply_id, nonce])


def read_survey_token(token: str) -> tuple[int, str] | None:
    """(survey id, nonce) from a token we signed; None for anything else."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if (
        isinstance(data, list)
        and len(data) == 2
        and isinstance(data[0], int)
        and not isinstance(data[0], bool)
        and isinstance(data[1], str)
    ):
        return data[0], data[1]
    return None


def survey_by_token(session: Session, token: str, user=None) -> tuple[LetterReply | None, str]:
    """The survey a link opens, or None and why not (for the audit log): a bad signature, an unknown survey,
    a nonce that is not this survey's, or a logged-in account that is not the letter's author."""
    found = read_survey_token(token)
    if found is None:
        return None, "bad signature"
    reply = session.get(LetterReply, found[0]) if 0 < found[0] < 2**31 else None
    if reply is None:
        return None, "no such survey"
    if not secrets.compare_digest(reply.nonce, found[1]):
        return None, "nonce does not match"
    if user is not None and getattr(user, "is_authenticated", False) and user.id != reply.user_id:
        return None, "another member's letter"
    return reply, ""


def survey_url(reply: LetterReply, answer: str | None = None) -> str:
    """The survey page of `reply` (a one-click answer preselects it; the page still asks to confirm)."""
    values = {"answer": answer} if answer else {}
    return external_url("replies.survey", token=survey_token(reply.id, reply.nonce), **values)


# --- queueing the surveys ------------------------------------------------------------------------


def delivered_at_column():
    """When a delivered event says the letter arrived: the provider's own timestamp, else when we received it.

    (Not outbound_messages.updated_at, which any later change moves, e.g. the retention scrub; nor sent_at,
    which is when the provider accepted it, before any deferral.) Indexed by migration 0024."""
    return func.coalesce(DeliveryEvent.occurred_at, DeliveryEvent.received_at)


def due_letters(session: Session, now: datetime, limit: int = RUN_LIMIT):
    """Letters delivered between ASK_WITHIN and ASK_AFTER ago, not yet asked, whose author can be emailed."""
    at = delivered_at_column()
    delivered = (
        select(DeliveryEvent.message_id, func.min(at).label("at"))
        .where(DeliveryEvent.event == literal_column("'delivered'"), at > now - ASK_WITHIN, at <= now - ASK_AFTER)
        .group_by(DeliveryEvent.message_id)
        .subquery()
    )
    undelivered = exists().where(
        DeliveryEvent.message_id == OutboundMessage.id, DeliveryEvent.event.in_(_UNDELIVERED_EVENTS)
    )
    return session.execute(
        select(
            Letter.id,
            Letter.campaign_id,
            Letter.user_id,
            Letter.person_id,
            Letter.district_id,
            Letter.party,
            delivered.c.at,
            User.email,
            User.name,
            User.language,
            Person.full_name,
            Campaign.name.label("campaign_name"),
        )
        .join(OutboundMessage, OutboundMessage.id == delivered.c.message_id)
        .join(Letter, Letter.message_id == OutboundMessage.id)
        .join(User, User.id == Letter.user_id)
        .join(Person, Person.id == Letter.person_id)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(
            OutboundMessage.status == "delivered",
            OutboundMessage.kind == "letter",
            ~undelivered,
            ~exists().where(LetterReply.letter_id == Letter.id),
            User.active.is_(True),
            User.email_confirmed_at.is_not(None),
            ~exists().where(Suppression.address == func.lower(User.email)),
            ~exists().where(AddressHealth.address == func.lower(User.email), AddressHealth.failing.is_(True)),
        )
        .order_by(Letter.id)
        .limit(limit)
    ).all()


def _claim(session: Session, rows, now: datetime) -> list[tuple[int, object, str]]:
    """Insert a survey row per letter, skipping letters another run got first (the unique letter_id):
    returns (survey id, letter row, nonce) for the rows this run inserted."""
    values = [
        {
            "letter_id": row.id,
            "campaign_id": row.campaign_id,
            "user_id": row.user_id,
            "person_id": row.person_id,
            "district_id": row.district_id,
            "party": row.party,
            "nonce": secrets.token_urlsafe(12),
            "delivered_at": row.at,
            "asked_at": now,
        }
        for row in rows
    ]
    if not values:
        return []
    stmt = (
        dialect_insert(session, LetterReply)
        .on_conflict_do_nothing(index_elements=["letter_id"])
        .returning(LetterReply.id, LetterReply.letter_id, LetterReply.nonce)
    )
    won = {letter_id: (reply_id, nonce) for reply_id, letter_id, nonce in session.execute(stmt, values)}
    return [(won[row.id][0], row, won[row.id][1]) for row in rows if row.id in won]


def queue_due_surveys(session: Session, now: datetime | None = None) -> int:
    """Queue one "did they reply?" email per letter delivered ASK_AFTER ago, never twice, as one personal
    batch; returns how many. Sizes: docs/design-notes.md, "replies/services.py: queue_due_surveys"."""
    now = now or utcnow()
    claimed = _claim(session, due_letters(session, now), now)
    if not claimed:
        return 0
    survey_base = external_url("replies.survey", token="TOKEN")
    sign = _serializer().dumps
    emails = []
    for reply_id, row, nonce in claimed:
        link = survey_base.replace("TOKEN", sign([reply_id, nonce]))
        language = recipient_language(row)
        with in_language(language):
            text = render_template(
                "replies/email_survey.txt",
                name=row.name,
                official=row.full_name,
                campaign=row.campaign_name,
                delivered_on=row.at.date(),
                link=link,
                answers=[(label, f"{link}?answer={value}") for value, label in ANSWERS],
            )
            subject = gettext("Did %(name)s's office reply to your letter?", name=row.full_name)
        emails.append((row.user_id, row.email.lower(), subject, text, language))
    ids = queue_personal_emails_by_language(
        session, kind="reply_survey", subject=N_("Did the office reply to your letter?"), emails=emails
    )
    update_rows(
        session,
        LetterReply.__table__,
        [
            {"id": reply_id, "message_id": message_id}
            for (reply_id, _, _), message_id in zip(claimed, ids, strict=False)
        ],
    )
    return len(claimed)


# --- the answer ----------------------------------------------------------------------------------


def clean_reply_text(text: str | None) -> str | None:
    """The member's words as stored: no control characters, Unix line ends, trimmed; None when empty."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def letter_undelivered(session: Session, reply: LetterReply) -> bool:
    """Whether the letter turned out not to arrive (a bounce can follow a delivered event)."""
    letter = reply.letter
    if letter.message_id is None:
        return False
    if letter.status in UNDELIVERED:
        return True
    return session.scalar(
        select(
            exists().where(DeliveryEvent.message_id == letter.message_id, DeliveryEvent.event.in_(_UNDELIVERED_EVENTS))
        )
    )


def record_answer(
    session: Session,
    reply: LetterReply,
    *,
    answer: str,
    text: str | None,
    tone: str | None,
    now: datetime | None = None,
) -> str:
    """Record the member's answer; a later answer replaces an earlier one (offices often reply late).
    Returns "recorded" or "changed"; refuses (ValidationError) a letter that bounced."""
    if answer not in dict(ANSWERS):
        raise ValidationError("answer", gettext("Choose one of the three answers."))
    if tone and tone not in dict(TONES):
        raise ValidationError("tone", gettext("Choose supportive, neutral or opposed, or leave it empty."))
    text = clean_reply_text(text)
    if text and len(text) > REPLY_TEXT_MAX:
        raise ValidationError(
            "reply_text",
            gettext(
                "Keep what they said to %(REPLY_TEXT_MAX)s characters: the key sentences are enough.",
                REPLY_TEXT_MAX=f"{REPLY_TEXT_MAX:,}",
            ),
        )
    if letter_undelivered(session, reply):
        raise ValidationError(
            None,
            gettext(
                "Your letter did not reach the office after all (it bounced), so there is no "
                "reply to record. You can send it again from the campaign page."
            ),
        )
    outcome = "changed" if reply.answer else "recorded"
    reply.answer, reply.reply_text, reply.tone = answer, text, tone or None
    reply.answered_at = now or utcnow()
    session.flush()
    return outcome


def replies_for_letters(session: Session, letter_ids: list[int]) -> dict[int, LetterReply]:
    """letter id → its reply, in one query (a page of letters asks once, not once per letter)."""
    if not letter_ids:
        return {}
    return {
        reply.letter_id: reply
        for reply in session.scalars(select(LetterReply).where(LetterReply.letter_id.in_(letter_ids)))
    }


# --- a stance from a reply -----------------------------------------------------------------------


def make_stance(session: Session, reply: LetterReply, *, ask: str, position: str, author_id: int) -> Stance:
    """Turn a reported reply into a stance of the official, sourced "member-reported reply" (once per reply)."""
    if reply.answer != "replied":
        raise ValidationError(
            None,
            "Only a real answer from the office can become a stance; this letter's answer "
            "is: " + reply.answer_label.lower() + ".",
        )
    if reply.stance_id is not None:
        raise ValidationError(None, gettext("This reply is already a stance (see the official's timeline)."))
    note = f"Reported by a member about their letter in the campaign {reply.campaign.name}."
    if reply.reply_text:
        note += f"\n\nWhat the office said, in the member's words: {reply.reply_text}"
    stance = add_stance(
        session,
        ask=ask,
        position=position,
        as_of=(reply.answered_at or utcnow()).date(),
        source=STANCE_SOURCE,
        note=note,
        person=reply.person,
        author_id=author_id,
    )
    reply.stance_id = stance.id
    session.flush()
    return stance


# --- the responsiveness panel --------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    label: str
    answers: str  # members who answered, as it may be shown ("fewer than 5", "5 or more", or the number)
    replied: str | None  # shares of the answers, only when the count is shown
    acknowledged: str | None
    no_reply: str | None


@dataclass(frozen=True)
class Responsiveness:
    asked: str
    answered: str
    tables: dict[str, list[RateRow] | None]  # None: withheld, too few answers to show any row safely


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def _table(groups: dict[str, dict[str, int]]) -> list[RateRow] | None:
    """Rows of one grouping with the small-count rule applied to the number of answers."""
    if not groups:
        return []
    cells = protect([(label, sum(counts.values())) for label, counts in groups.items()])
    if cells is None:
        return None
    rows = []
    for cell in cells:
        counts = groups[cell.label]
        shares = [
            (_percent(counts.get(key, 0), cell.count) if cell.count else None)
            for key in ("replied", "acknowledged", "no_reply")
        ]
        rows.append(RateRow(cell.label, cell.text, *shares))
    return rows


def responsiveness(session: Session, campaign_id: int) -> Responsiveness:
    """Reply rates by MPP, party and riding from members' answers (one grouped query on a covering index)."""
    counts = session.execute(
        select(LetterReply.person_id, LetterReply.district_id, LetterReply.party, LetterReply.answer, func.count())
        .where(LetterReply.campaign_id == campaign_id, LetterReply.answer.is_not(None))
        .group_by(LetterReply.person_id, LetterReply.district_id, LetterReply.party, LetterReply.answer)
    ).all()
    asked = (
        session.scalar(select(func.count()).select_from(LetterReply).where(LetterReply.campaign_id == campaign_id)) or 0
    )
    people = (
        dict(
            session.execute(select(Person.id, Person.full_name).where(Person.id.in_({row[0] for row in counts}))).all()
        )
        if counts
        else {}
    )
    ridings = (
        dict(
            session.execute(
                select(ElectoralDistrict.id, ElectoralDistrict.name).where(
                    ElectoralDistrict.id.in_({row[1] for row in counts if row[1]})
                )
            ).all()
        )
        if counts
        else {}
    )
    by: dict[str, dict[str, dict[str, int]]] = {"mpp": {}, "party": {}, "riding": {}}
    for person_id, district_id, party, answer, n in counts:
        for table, label in (
            ("mpp", people.get(person_id, f"#{person_id}")),
            ("party", party or "No party"),
            ("riding", ridings.get(district_id, "No riding")),
        ):
            group = by[table].setdefault(label, {})
            group[answer] = group.get(answer, 0) + n
    answered = sum(row[4] for row in counts)
    return Responsiveness(
        asked=shown_count(asked),
        answered=shown_count(answered),
        tables={name: _table(groups) for name, groups in by.items()},
    )


# --- pages ---------------------------------------------------------------------------------------


def reply_detail(session: Session, reply_id: int) -> LetterReply | None:
    """A reply with what its staff page shows (letter, campaign, official)."""
    return session.scalar(
        select(LetterReply)
        .where(LetterReply.id == reply_id)
        .options(joinedload(LetterReply.letter), joinedload(LetterReply.campaign), joinedload(LetterReply.person))
    )
