"""Letter templates: versions, saving a checked one, and the sample letter the lead sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from crm.campaigns import sandbox
from crm.campaigns.compose import MAX_BLOCK_CHARS, compose, constituent_signature
from crm.campaigns.models import (
    BLOCK_KINDS,
    Campaign,
    LetterBlock,
    LetterTemplate,
)
from crm.lib.errors import ValidationError
from crm.outbox.services import one_line

# --- templates ------------------------------------------------------------------------------------


LETTER_LANGUAGES = ("en", "fr")


def current_template(session: Session, campaign_id: int, language: str | None = None) -> LetterTemplate | None:
    """The newest version in `language`; without one, the newest English version, else the newest of any."""
    query = (
        select(LetterTemplate)
        .where(LetterTemplate.campaign_id == campaign_id)
        .options(joinedload(LetterTemplate.blocks))
        .order_by(LetterTemplate.version.desc())
        .limit(1)
    )
    if language is not None:
        return session.scalar(query.where(LetterTemplate.language == language))
    return session.scalar(query.where(LetterTemplate.language == "en")) or session.scalar(query)


def template_for_member(
    session: Session, campaign_id: int, *, writes_in: str, chosen: str | None = None, prefers_french: bool = False
) -> LetterTemplate | None:
    """The version a member starts from: the language they chose on the letter page, else French when they write
    in French and the office prefers French letters, else English; whichever exists when the other does not."""
    if chosen in LETTER_LANGUAGES:
        wanted = chosen
    else:
        wanted = "fr" if writes_in == "fr" and prefers_french else "en"
    return current_template(session, campaign_id, wanted) or current_template(session, campaign_id)


def template_languages(session: Session, campaign_id: int) -> list[str]:
    """The languages the campaign has a letter in, English first."""
    found = set(session.scalars(select(LetterTemplate.language).where(LetterTemplate.campaign_id == campaign_id)))
    return [language for language in LETTER_LANGUAGES if language in found]


def _check_placeholders(session: Session, campaign: Campaign, subject: str, blocks: list, language: str) -> None:
    """Placeholders work the same in both languages: a French letter may use only those the English one uses."""
    if language == "en":
        return
    english = current_template(session, campaign.id, "en")
    if english is None:
        return
    missing = sandbox.placeholders_not_in(
        [subject, *(b.body for b in blocks)], [english.subject, *(b.body for b in english.blocks)]
    )
    if missing:
        raise ValidationError(
            None,
            gettext(
                "The French letter uses placeholders the English letter does not: %(names)s. Use the same "
                "placeholders in both, or add them to the English letter first.",
                names=missing,
            ),
        )


def template_versions(session: Session, campaign_id: int) -> list[LetterTemplate]:
    return list(
        session.scalars(
            select(LetterTemplate)
            .where(LetterTemplate.campaign_id == campaign_id)
            .order_by(LetterTemplate.version.desc())
        )
    )


@dataclass
class BlockInput:
    kind: str
    body: str
    label: str | None = None
    min_length: int = 0


def _checked_subject(subject: str | None) -> str:
    """One line that renders for the sample member within 300 characters."""
    if "\r" in (subject or "") or "\n" in (subject or ""):
        raise ValidationError("subject", gettext("The subject must be one line (no line breaks)."))
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError("subject", gettext("Write a subject."))
    try:
        sandbox.render(subject, sandbox.SAMPLE_CONTEXT, max_chars=300)
    except sandbox.TemplateProblem as problem:
        raise ValidationError("subject", gettext("Subject: %(problem)s", problem=problem)) from None
    return subject


def _checked_blocks(blocks: list[BlockInput]) -> list[BlockInput]:
    """The blocks worth keeping (an empty one goes; a personal one needs a prompt or a label), each checked."""
    kept = [
        block
        for block in blocks
        if (block.body or "").strip() or (block.kind == "personal" and (block.label or "").strip())
    ]
    if not kept:
        raise ValidationError(None, gettext("Add at least one block of text."))
    for number, block in enumerate(kept, start=1):
        if block.kind not in dict(BLOCK_KINDS):
            raise ValidationError(
                None, gettext("Block %(number)s: choose locked, editable or personal.", number=number)
            )
        if not 0 <= (block.min_length or 0) <= MAX_BLOCK_CHARS:
            raise ValidationError(
                None,
                gettext(
                    "Block %(number)s: the minimum length must be between 0 and %(MAX_BLOCK_CHARS)s.",
                    number=number,
                    MAX_BLOCK_CHARS=MAX_BLOCK_CHARS,
                ),
            )
        if block.kind != "personal":
            try:
                sandbox.render(block.body, sandbox.SAMPLE_CONTEXT)
            except sandbox.TemplateProblem as problem:
                raise ValidationError(
                    None, gettext("Block %(number)s: %(problem)s", number=number, problem=problem)
                ) from None
    return kept


def save_template(
    session: Session,
    campaign: Campaign,
    *,
    subject: str,
    blocks: list[BlockInput],
    actor_id: int | None,
    language: str = "en",
) -> tuple[LetterTemplate, str]:
    """Save a new version after rendering it against the sample member; returns it and the sample letter.

    Raises ValidationError naming the part at fault, so nothing unusable is ever saved.
    """
    if language not in LETTER_LANGUAGES:
        raise ValidationError("language", gettext("Choose English or French."))
    subject = _checked_subject(subject)
    kept = _checked_blocks(blocks)
    _check_placeholders(session, campaign, subject, kept, language)
    version = (
        session.scalar(select(func.max(LetterTemplate.version)).where(LetterTemplate.campaign_id == campaign.id)) or 0
    ) + 1
    template = LetterTemplate(
        campaign_id=campaign.id, version=version, subject=subject, created_by_id=actor_id, language=language
    )
    for position, block in enumerate(kept, start=1):
        template.blocks.append(
            LetterBlock(
                position=position,
                kind=block.kind,
                body=block.body or "",
                label=one_line(block.label) or None,
                min_length=block.min_length if block.kind == "personal" else 0,
            )
        )
    session.add(template)
    session.flush()
    return template, sample_letter(template)


SAMPLE_MEMBER = {"email": "amina.sample@example.org", "postal_code": "M5V 3L9", "phone": None, "street_address": None}


def sample_letter(template: LetterTemplate) -> str:
    """The letter as the sample member would send it: each personal block a marked stand-in, then the signature."""
    from crm.campaigns.template_quality import personal_slot

    slots = {
        block.position: personal_slot(number, block)
        for number, block in enumerate(template.blocks, start=1)
        if block.kind == "personal"
    }
    subject, body, _ = compose(template, sandbox.SAMPLE_CONTEXT, slots, enforce=False)
    signature = constituent_signature(
        name=sandbox.SAMPLE_CONTEXT["member_name"],
        riding=sandbox.SAMPLE_CONTEXT["member_riding"],
        campaign_name=template.campaign.name,
        language=template.language,
        **SAMPLE_MEMBER,
    )
    return f"Subject: {subject}\n\n{body}\n\n{signature}"
