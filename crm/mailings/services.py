"""Mailing services: segments, composing and sending call-to-action mailings, and what came of them.

Why it works this way: docs/design-notes.md, "mailings/services.py".
"""

from __future__ import annotations

import dataclasses
import functools
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from crm.audit.services import record
from crm.campaigns import sandbox
from crm.campaigns.models import Campaign
from crm.campaigns.services import fixed_recipients
from crm.lib.bulk import insert_rows
from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, in_language, normalise
from crm.lib.pipeline import DatabaseThread
from crm.lib.schedule import Every, scheduled_job
from crm.mailings import links
from crm.mailings.models import Mailing, MailingRecipient, Segment
from crm.mailings.segments import clean_filters, count_members, member_details, member_ids, sample_members
from crm.outbox.bulk import (
    after_queueing_many,
    casl_footer,
    external_url,
    insert_personal_rows,
    personal_rows,
    personal_text_fits,
    start_personal_batch,
)
from crm.outbox.models import UNSUBSCRIBE_TOKEN, MailBatch, OutboundMessage
from crm.outbox.services import one_line, queue_message, utcnow, wake_workers
from crm.outbox.worker import AGAIN, add_pass_job
from crm.reference.names import name_in, title_in
from crm.stakeholders.models import ElectedOffice, Person

MAILING_PLACEHOLDERS = {
    "member_name": N_("the member's full name"),
    "member_riding": N_("the member's riding (electoral district)"),
    "representative_name": N_("the member's representative (their MPP), or the campaign's first fixed target"),
    "representative_title": N_("that representative's title (e.g. MPP)"),
    "campaign_name": N_("the campaign's name"),
    "hashtag": N_("the campaign's hashtag, e.g. #skillstohelp"),
    "action_link": N_("the member's personal link to the letter, their representative already chosen (14 days)"),
}
MAX_SUBJECT_CHARS = 300
MAX_BODY_CHARS = 8_000
QUEUE_CHUNK = 1_000  # members rendered and queued at a time: bounds the worker's memory (2,000: +6 MB)
QUEUE_STEP = 1_000  # members queued in one transaction (held until it commits: the senders get them)


class MailingNotDraft(Exception):
    """The mailing was already sent, scheduled or cancelled (a second click, another tab)."""


# --- segments -------------------------------------------------------------------------------------


def save_segment(
    session: Session, *, name: str, filters: dict, actor_id: int | None, segment: Segment | None = None
) -> Segment:
    """Add a segment, or change `segment`; raises ValidationError (a name in use, filters of the wrong kind)."""
    name = one_line(name)[:120]
    if not name:
        raise ValidationError("name", gettext("Give the segment a name."))
    clash = session.scalar(select(Segment.id).where(func.lower(Segment.name) == name.lower()))
    if clash is not None and (segment is None or clash != segment.id):
        raise ValidationError("name", gettext("Another segment has this name; choose another."))
    filters = clean_filters(filters)
    if segment is None:
        segment = Segment(name=name, filters=filters, created_by_id=actor_id)
        session.add(segment)
    else:
        segment.name, segment.filters = name, filters
    session.flush()
    return segment


def segment_of_writers(session: Session, campaign: Campaign, *, actor_id: int | None) -> Segment:
    """The saved segment "wrote in <campaign>" (made once; the same one is returned after)."""
    name = f"Wrote in {campaign.name}"[:120]
    existing = session.scalar(select(Segment).where(func.lower(Segment.name) == name.lower()))
    if existing is not None and existing.filters == {"wrote_in": campaign.id}:
        return existing
    return save_segment(
        session,
        name=name if existing is None else f"{name[:100]} ({campaign.slug})"[:120],
        filters={"wrote_in": campaign.id},
        actor_id=actor_id,
    )


def list_segments(session: Session) -> list[Segment]:
    return list(session.scalars(select(Segment).order_by(Segment.name)))


# --- composing ------------------------------------------------------------------------------------


def check_mailing_text(subject: str, body: str, subject_fr: str | None = None, body_fr: str | None = None) -> None:
    """Raise ValidationError naming the part whose template breaks a sandbox rule, English then French."""
    if "\r" in (subject or "") or "\n" in (subject or ""):
        raise ValidationError("subject", gettext("The subject must be one line (no line breaks)."))
    for field, source, label in (("subject", subject, "Subject"), ("body", body, "Text")):
        if not (source or "").strip():
            raise ValidationError(field, gettext("Write the %(lower)s.", lower=label.lower()))
        try:
            sandbox.check_template(source, names=MAILING_PLACEHOLDERS)
        except sandbox.TemplateProblem as problem:
            raise ValidationError(field, gettext("%(label)s: %(problem)s", label=label, problem=problem)) from None
    _check_french(subject, body, subject_fr or "", body_fr or "")


def _check_french(subject: str, body: str, subject_fr: str, body_fr: str) -> None:
    """The optional French version: both parts or neither, each a sound template, and placeholders work the
    same in both languages (it may use only those the English version uses)."""
    if not subject_fr.strip() and not body_fr.strip():
        return
    for field, source in (("subject_fr", subject_fr), ("body_fr", body_fr)):
        if not source.strip():
            raise ValidationError(
                field, gettext("Write both the French subject and the French text, or leave both empty.")
            )
    if "\r" in subject_fr or "\n" in subject_fr:
        raise ValidationError("subject_fr", gettext("The French subject must be one line (no line breaks)."))
    for field, source, label in (
        ("subject_fr", subject_fr, N_("French subject")),
        ("body_fr", body_fr, N_("French text")),
    ):
        try:
            sandbox.check_template(source, names=MAILING_PLACEHOLDERS)
        except sandbox.TemplateProblem as problem:
            raise ValidationError(
                field, gettext("%(label)s: %(problem)s", label=gettext(label), problem=problem)
            ) from None
    for field, source in (("subject_fr", subject_fr), ("body_fr", body_fr)):
        missing = sandbox.placeholders_not_in([source], [subject, body])
        if missing:
            raise ValidationError(
                field,
                gettext(
                    "The French version uses placeholders the English one does not: %(names)s. Use the same "
                    "placeholders in both, or add them to the English version first.",
                    names=missing,
                ),
            )


def save_mailing(
    session: Session,
    *,
    campaign: Campaign,
    segment: Segment | None,
    subject: str,
    body: str,
    actor_id: int | None,
    mailing: Mailing | None = None,
    subject_fr: str | None = None,
    body_fr: str | None = None,
) -> Mailing:
    """Add a draft mailing, or change a draft (an empty French version: none); raises ValidationError or
    MailingNotDraft."""
    if mailing is not None and mailing.status != "draft":
        raise MailingNotDraft()
    if segment is None:
        raise ValidationError("segment_id", gettext("Choose who the mailing goes to: a saved segment."))
    check_mailing_text(subject, body, subject_fr, body_fr)
    if mailing is None:
        mailing = Mailing(campaign_id=campaign.id, created_by_id=actor_id, status="draft")
        session.add(mailing)
    mailing.segment_id, mailing.subject, mailing.body = segment.id, subject.strip(), body
    french = bool((subject_fr or "").strip())
    mailing.subject_fr, mailing.body_fr = (subject_fr.strip(), body_fr) if french else (None, None)
    session.flush()
    return mailing


# Placeholders that differ for every member: a mailing renders a stencil per language (and per value
# of the others, e.g. the riding) with these left open, and fills them in for each member.
PER_MEMBER = ("member_name", "action_link")
STENCILS_KEPT = 4_096  # stencils a renderer keeps (one per language and riding, typically)


@dataclass
class Renderer:
    """Renders a mailing for one member at a time; what it needs from the database is read once."""

    mailing: Mailing
    representatives: dict[int, str]  # district id → representative's name (own-representative campaigns)
    fixed: tuple[str, str, str] | None  # (name, title, key) of a fixed-targets campaign's first target
    title: str
    link_base: str
    make_token: object
    stencils: dict = dataclasses.field(default_factory=dict)  # (language, other values) → stencils, or None

    @functools.cached_property
    def common(self) -> tuple[int, int, str, str]:
        """(campaign id, mailing id, campaign name, hashtag), read from the models once rather than per member."""
        campaign = self.mailing.campaign
        return campaign.id, self.mailing.id, campaign.name, campaign.hashtag or ""

    def context(self, user_id: int, name: str, district_id: int | None, riding: str | None) -> dict:
        campaign_id, mailing_id, campaign_name, hashtag = self.common
        if self.fixed is not None:
            representative, title, key = self.fixed
        else:
            representative = self.representatives.get(district_id, "")
            title, key = self.title, (f"district-{district_id}" if district_id in self.representatives else "")
        token = self.make_token(user_id, campaign_id, mailing_id, key)
        return {
            "member_name": one_line(name),
            "member_riding": riding or "",
            "representative_name": representative,
            "representative_title": title,
            "campaign_name": campaign_name,
            "hashtag": hashtag,
            "action_link": self.link_base.replace("TOKEN", token),
        }

    @functools.cached_property
    def has_french(self) -> bool:
        return self.mailing.has_french

    def language_for(self, member_language: str | None) -> str:
        """The version a member gets: French if they read French and there is one, else English."""
        return "fr" if self.has_french and normalise(member_language) == "fr" else "en"

    def templates(self, language: str) -> tuple[str, str]:
        french = language == "fr"
        return (self.mailing.subject_fr, self.mailing.body_fr) if french else (self.mailing.subject, self.mailing.body)

    def render(self, context: dict, language: str = "en") -> tuple[str, str]:
        """Subject and text for one member in `language` (a version the mailing has); raises TemplateProblem
        (the lead's template failed for them). From a stencil when the template allows, which gives the same."""
        if language == "fr":  # the representative's title in French too: "MPP" is « député(e) provincial(e) »
            context = {**context, "representative_title": title_in("fr", context["representative_title"])}
        stencils = self.stencils_for(context, language)
        if stencils is None:
            subject, body = self.templates(language)
            subject = sandbox.render(subject, context, names=MAILING_PLACEHOLDERS, max_chars=MAX_SUBJECT_CHARS)
            text = sandbox.render(body, context, names=MAILING_PLACEHOLDERS, max_chars=MAX_BODY_CHARS)
        else:
            subject, text = sandbox.fill(stencils[0], context), sandbox.fill(stencils[1], context)
            for part, limit in ((subject, MAX_SUBJECT_CHARS), (text, MAX_BODY_CHARS)):
                if len(part) > limit:
                    raise sandbox.TemplateProblem(f"The text would be longer than {limit:,} characters.")
        subject = one_line(subject)
        if not subject or not text.strip():
            raise sandbox.TemplateProblem("The subject or the text came out empty for this member.")
        if not personal_text_fits(text):
            raise sandbox.TemplateProblem("The text came out too long for this member.")
        return subject, text

    def stencils_for(self, context: dict, language: str) -> tuple[list[str], list[str]] | None:
        """The (subject, text) stencils with the per-member placeholders open, made once per language and value
        of the other placeholders; None when the template uses a per-member one other than as is (a filter,
        a test), or a value could not go in a hole: then each member's mail is rendered in full."""
        if any(len(context[name]) > sandbox.MAX_VALUE_CHARS for name in PER_MEMBER):
            return None  # rendered in full, so the sandbox refuses it in its own words
        key = (language, *(value for name, value in context.items() if name not in PER_MEMBER))
        if key not in self.stencils:
            if len(self.stencils) >= STENCILS_KEPT:
                self.stencils.clear()
            self.stencils[key] = self.make_stencils(context, language)
        return self.stencils[key]

    def make_stencils(self, context: dict, language: str) -> tuple[list[str], list[str]] | None:
        made = []
        for source in self.templates(language):
            names_as_is = sandbox.printed_as_is(source, names=MAILING_PLACEHOLDERS)
            if not set(PER_MEMBER) & sandbox.placeholders_used(source) <= names_as_is:
                return None
            try:
                made.append(sandbox.stencil(source, context, holes=PER_MEMBER, names=MAILING_PLACEHOLDERS))
            except sandbox.TemplateProblem:  # rendered in full, it fails (or not) in the sandbox's own words
                return None
        return None if None in made else (made[0], made[1])


def renderer_for(session: Session, mailing: Mailing) -> Renderer:
    """Everything a mailing's recipients have in common, read once: representatives, the link signer."""
    campaign = mailing.campaign
    fixed = None
    representatives: dict[int, str] = {}
    if campaign.kind == "fixed_targets":
        first = next((r for r in fixed_recipients(session, campaign) if r.person is not None), None)
        fixed = (first.person.full_name, first.title, f"person-{first.person.id}") if first else ("", "", "")
    else:
        from crm.reference.models import ElectoralDistrict

        representatives = dict(
            session.execute(
                select(ElectedOffice.district_id, Person.full_name)
                .join(Person, Person.id == ElectedOffice.person_id)
                .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
                .where(ElectedOffice.current.is_(True), ElectoralDistrict.jurisdiction_id == campaign.jurisdiction_id)
            ).all()
        )
    return Renderer(
        mailing,
        representatives,
        fixed,
        campaign.jurisdiction.member_title,
        external_url("mailings.act", token="TOKEN"),
        links.token_maker(),
    )


@dataclass
class Sample:
    """One sample recipient as the preview shows them: the rendered mail, or why it fails for them; `as_if`
    when shown in the version they would not get (so the preview always shows both versions)."""

    name: str
    email: str
    subject: str | None
    text: str | None
    problem: str | None
    language: str = "en"
    as_if: bool = False


def _sample(renderer: Renderer, member: tuple, language: str, as_if: bool = False) -> Sample:
    user_id, email, name, district_id, riding, _, ocd_id = member
    riding = name_in(language, "riding", ocd_id, riding)
    try:
        subject, text = renderer.render(renderer.context(user_id, name, district_id, riding), language)
    except sandbox.TemplateProblem as problem:
        return Sample(name, email, None, None, str(problem), language, as_if)
    with in_language(language):
        return Sample(name, email, subject, text + casl_footer(), None, language, as_if)


def preview(session: Session, mailing: Mailing, n: int = 3) -> list[Sample]:
    """The mailing as `n` members of its segment would get it, each in their language; with a French version,
    the first member in the version none of them gets, so the lead sees both."""
    renderer = renderer_for(session, mailing)
    members = sample_members(session, mailing_filters(mailing), n)
    samples = [_sample(renderer, member, renderer.language_for(member[5])) for member in members]
    wanted = ("en", "fr") if mailing.has_french else ("en",)
    for language in wanted:
        if members and language not in {sample.language for sample in samples}:
            samples.append(_sample(renderer, members[0], language, as_if=True))
    return samples


def send_test(session: Session, mailing: Mailing, lead) -> list[OutboundMessage]:
    """Queue the mailing to the lead's own address, marked [TEST], as the segment's first member would get it
    (the action link is the lead's own), once per version. Raises ValidationError (no one, a template fails)."""
    members = sample_members(session, mailing_filters(mailing), 1)
    if not members:
        raise ValidationError(None, gettext("No one matches this segment, so there is no one to show the test as."))
    _, _, name, district_id, english_riding, _, ocd_id = members[0]
    renderer = renderer_for(session, mailing)
    messages = []
    for language in ("en", "fr") if mailing.has_french else ("en",):
        try:
            riding = name_in(language, "riding", ocd_id, english_riding)
            subject, text = renderer.render(renderer.context(lead.id, name, district_id, riding), language)
        except sandbox.TemplateProblem as problem:
            raise ValidationError(
                None, gettext("The mailing fails for %(name)s: %(problem)s", name=name, problem=problem)
            ) from None
        with in_language(language):
            footer = casl_footer().replace(UNSUBSCRIBE_TOKEN, gettext("(each member's own unsubscribe link)"))
        tag = "[TEST]" if language == "en" else "[TEST FR]"
        messages.append(
            queue_message(
                session,
                kind="mailing_test",
                to=lead.email,
                subject=f"{tag} {subject}",
                text=text + footer,
                user_id=lead.id,
            )
        )
    return messages


# --- sending --------------------------------------------------------------------------------------


def mailing_filters(mailing: Mailing) -> dict:
    """The filters the mailing goes by: its snapshot once sent, its segment's until then."""
    if mailing.filters is not None:
        return mailing.filters
    if mailing.segment is None:
        raise ValidationError("segment_id", gettext("This mailing's segment no longer exists; choose another."))
    return mailing.segment.filters


def send_mailing(
    session: Session, mailing: Mailing, *, actor_id: int | None, at: datetime | None = None, now: datetime | None = None
) -> int:
    """Schedule a draft for `at` (None: now) with its segment's filters as they are; returns the recipient count.

    Raises ValidationError (no one matches, a template problem, a time in the past) or MailingNotDraft (a second
    click: the draft → scheduled move is one conditional UPDATE, so only one click wins)."""
    now = now or utcnow()
    if mailing.status != "draft":
        raise MailingNotDraft()
    if at is not None and at < now - timedelta(minutes=1):
        raise ValidationError("scheduled_at", gettext("Choose a time in the future, or send now."))
    check_mailing_text(mailing.subject, mailing.body, mailing.subject_fr, mailing.body_fr)
    filters = mailing_filters(mailing)
    count = count_members(session, filters)
    if not count:
        raise ValidationError(
            None,
            gettext("No one matches this segment, so nothing was sent. Change its filters, or choose another segment."),
        )
    moved = session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.status == "draft")
        .values(status="scheduled", scheduled_at=at or now, filters=filters, sent_by_id=actor_id),
        execution_options={"synchronize_session": False},
    ).rowcount
    if moved != 1:
        raise MailingNotDraft()
    record(
        session,
        "mailing_send" if at is None else "mailing_schedule",
        "mailings",
        mailing.id,
        {"campaign_id": mailing.campaign_id, "recipients": count, "scheduled_at": (at or now).isoformat()},
    )
    if (at or now) <= now:
        wake_workers(session)  # the workers start queueing it when this commits, not at their next pass
    session.expire(mailing)
    return count


def send_due_mailings(session: Session, now: datetime) -> int:
    """Queue every mailing due by `now`, and finish any being queued, in this transaction (the recorded sweep,
    `crm mailings send-due`); returns how many mailings it queued into."""
    touched = set()
    while (mailing := _next_to_queue(session, now)) is not None:
        touched.add(mailing.id)
        queue_step(session, mailing)
    return len(touched)


def queue_due_step(session: Session, now: datetime):
    """Worker pass job: queue the next step of one mailing that is due or part-queued. It returns AGAIN when it did,
    so the worker commits (its senders start on what is committed) and calls it again."""
    mailing = _next_to_queue(session, now)
    if mailing is None:
        return None
    queue_step(session, mailing)
    return AGAIN


def _next_to_queue(session: Session, now: datetime) -> Mailing | None:
    """A mailing being queued, or one now due (moved to `sent`), taken with a conditional UPDATE that also proves no
    one else queued its next step meanwhile; PostgreSQL skips one another worker holds."""
    being_queued = and_(Mailing.status == "sent", Mailing.queued_through.is_not(None))
    due = and_(Mailing.status == "scheduled", Mailing.scheduled_at <= now)
    found = select(Mailing.id, Mailing.status, Mailing.queued_through).where(or_(being_queued, due))
    found = found.order_by(Mailing.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        found = found.with_for_update(skip_locked=True)
    row = session.execute(found).first()
    if row is None:
        return None
    mailing_id, status, through = row
    unchanged = (Mailing.queued_through == through) if through is not None else Mailing.queued_through.is_(None)
    begin = {"status": "sent", "queued_at": now, "queued_through": 0} if status == "scheduled" else {}
    return session.scalars(
        update(Mailing)
        .where(Mailing.id == mailing_id, Mailing.status == status, unchanged)
        .values(begin or {"queued_through": Mailing.queued_through})
        .returning(Mailing),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).first()


def queue_step(session: Session, mailing: Mailing) -> None:
    """Render the mailing for the next QUEUE_STEP members of its filters, a chunk at a time, each in their language,
    into one personal batch per language (each frame's CASL footer in that language); each member is recorded once
    (skipped, with the reason, when the template fails for them). The last step records the totals."""
    renderer, ids = _queueing(session, mailing)
    batches = _batches_of(session, mailing)
    start = bisect_right(ids, mailing.queued_through or 0)
    step = ids[start : start + QUEUE_STEP]
    queued = skipped = 0
    with DatabaseThread() as database:
        for done, failed in _queue_chunks(database, session, renderer, batches, step):
            queued, skipped = queued + done, skipped + failed
    after_queueing_many(session, queued, before=mailing.recipients)
    mailing.recipients, mailing.skipped = mailing.recipients + queued, mailing.skipped + skipped
    first = batches.get("en") or batches.get("fr")
    mailing.batch_id, mailing.french_batch_id = first and first.id, batches["fr"].id if "fr" in batches else None
    mailing.queued_through = step[-1] if start + QUEUE_STEP < len(ids) else None
    if mailing.queued_through is None:
        record(
            session,
            "mailing_queued",
            "mailings",
            mailing.id,
            {"campaign_id": mailing.campaign_id, "recipients": mailing.recipients, "skipped": mailing.skipped},
        )
    session.flush()


def _queueing(session: Session, mailing: Mailing) -> tuple[Renderer, array]:
    """The mailing's renderer and the ids of the members it goes to (those left when first asked), made once per
    session: a worker's pass queues a mailing in many steps on one session (design-notes, "queue_due_step")."""
    kept = session.info.get("crm.mailings.queueing")
    if kept is None or kept[0] != mailing.id:
        ids = member_ids(session, mailing_filters(mailing), after=mailing.queued_through or None)
        kept = session.info["crm.mailings.queueing"] = (mailing.id, renderer_for(session, mailing), ids)
    return kept[1], kept[2]


def _batches_of(session: Session, mailing: Mailing) -> dict[str, MailBatch]:
    """The batches the mailing's earlier steps made, by language."""
    batches = {}
    if mailing.french_batch_id is not None:
        batches["fr"] = session.get(MailBatch, mailing.french_batch_id)
    if mailing.batch_id is not None and mailing.batch_id != mailing.french_batch_id:
        batches["en"] = session.get(MailBatch, mailing.batch_id)
    return batches


def _queue_chunks(database: DatabaseThread, session: Session, renderer: Renderer, batches: dict, ids) -> Iterator:
    """(queued, skipped) for each chunk of the members with these ids. The database thread reads the next chunk and
    writes the last while this one renders (the session is used only there meanwhile): design-notes,
    "lib/pipeline.py"."""
    members = member_details(session, ids, QUEUE_CHUNK)
    reading, writing = database.submit(next, members, None), None
    while (chunk := reading.result()) is not None:
        reading = database.submit(next, members, None)
        rendered = _render_chunk(database, session, renderer, batches, chunk)
        if writing is not None:
            yield writing.result()
        writing = database.submit(_write_chunk, session, renderer.mailing.id, *rendered)
    if writing is not None:
        yield writing.result()


def _batch(session: Session, batches: dict, mailing: Mailing, language: str) -> MailBatch:
    """The mailing's batch for `language`, started the first time a member needs it."""
    if language not in batches:
        with in_language(language):
            subject = mailing.subject_fr if language == "fr" else mailing.subject
            batches[language] = start_personal_batch(session, kind="call_to_action", subject=subject)
    return batches[language]


def _render_chunk(
    database: DatabaseThread, session: Session, renderer: Renderer, batches: dict, chunk: list
) -> tuple[dict[str, list[dict]], list[dict]]:
    """One chunk of members rendered: the outbox rows in each language, and a record for each member skipped."""
    mailing = renderer.mailing
    emails: dict[str, list] = {"en": [], "fr": []}
    skipped = []
    for user_id, email, name, district_id, riding, member_language, ocd_id in chunk:
        language = renderer.language_for(member_language)
        riding = name_in(language, "riding", ocd_id, riding)  # the French version names it in French
        try:
            subject, text = renderer.render(renderer.context(user_id, name, district_id, riding), language)
        except sandbox.TemplateProblem as problem:
            reason = str(problem)[:300]
            skipped.append({"mailing_id": mailing.id, "user_id": user_id, "message_id": None, "skipped_reason": reason})
            continue
        emails[language].append((user_id, email, subject, text))
    rows = {
        language: personal_rows(
            batches.get(language) or database.call(_batch, session, batches, mailing, language), found
        )
        for language, found in emails.items()
        if found
    }
    return rows, skipped


def _write_chunk(
    session: Session, mailing_id: int, rows: dict[str, list[dict]], skipped: list[dict]
) -> tuple[int, int]:
    """Write one rendered chunk (on the database thread): its messages, then a recipient record for each member."""
    records = list(skipped)
    queued = 0
    for outbox_rows in rows.values():
        ids = insert_personal_rows(session, outbox_rows)
        records += [
            {"mailing_id": mailing_id, "user_id": row["user_id"], "message_id": message_id, "skipped_reason": None}
            for row, message_id in zip(outbox_rows, ids, strict=True)
        ]
        queued += len(ids)
    insert_rows(session, MailingRecipient.__table__, records, binary=True)  # ints and short texts, as made here
    return queued, len(skipped)


def cancel_mailing(session: Session, mailing: Mailing, now: datetime | None = None) -> int:
    """Cancel a scheduled mailing, or what is still queued of a sent one; returns how many messages were stopped.
    Raises MailingNotDraft when there is nothing left to cancel (a draft is edited, not cancelled)."""
    was = mailing.status
    if was not in ("scheduled", "sent"):
        raise MailingNotDraft()
    moved = session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.status == mailing.status)
        .values(status="cancelled", cancelled_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if moved != 1:
        raise MailingNotDraft()
    stopped = 0
    if mailing.batch_id is not None:  # its messages, in every language's batch
        sent = select(MailingRecipient.message_id).where(MailingRecipient.mailing_id == mailing.id)
        stopped = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(sent), OutboundMessage.status == "queued")
            .values(status="cancelled", last_error="The mailing was cancelled."),
            execution_options={"synchronize_session": False},
        ).rowcount
    record(
        session,
        "mailing_cancel",
        "mailings",
        mailing.id,
        {"campaign_id": mailing.campaign_id, "was": was, "recipients": mailing.recipients, "stopped": stopped},
    )
    session.expire(mailing)
    return stopped


def record_click(session: Session, link: links.ActionLink, now: datetime | None = None) -> None:
    """Count the first use of a recipient's action link."""
    session.execute(
        update(MailingRecipient)
        .where(
            MailingRecipient.mailing_id == link.mailing_id,
            MailingRecipient.user_id == link.user_id,
            MailingRecipient.clicked_at.is_(None),
        )
        .values(clicked_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


# Every worker pass queues due mailings, so one sent "now" goes out within a second or two; the
# scheduled job is the recorded sweep (in `crm jobs`, on the health page) for any a pass missed.
add_pass_job(queue_due_step, hands_over=True)


@scheduled_job("scheduled-mailings", Every(60), "Queue the recipients of every mailing whose time has come")
def send_due_mailings_job(session: Session, now: datetime) -> dict:
    """The recorded sweep: queues what every worker pass has not already queued (usually nothing)."""
    return {"mailings": send_due_mailings(session, now)}
