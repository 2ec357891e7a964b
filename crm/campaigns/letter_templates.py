"""Letter templates: versions, saving a checked one, and the sample letter the lead sees."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

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


def current_template(session: Session, campaign_id: int) -> LetterTemplate | None:
    return session.scalar(
        select(LetterTemplate)
        .where(LetterTemplate.campaign_id == campaign_id)
        .options(joinedload(LetterTemplate.blocks))
        .order_by(LetterTemplate.version.desc())
        .limit(1)
    )


def template_of_campaign(session: Session, slug: str, template_id: int) -> LetterTemplate | None:
    """A letter template of the campaign at `slug`, with that campaign, its jurisdiction and the template's
    blocks, in one statement: what a posted letter needs to know of its campaign."""
    return session.scalar(_template_with_campaign(), {"slug": slug, "template_id": template_id})


@cache
def _template_with_campaign():
    """Built once (building it cost more than running it), run with parameters."""
    return (
        select(LetterTemplate)
        .join(Campaign, Campaign.id == LetterTemplate.campaign_id)
        .where(Campaign.slug == bindparam("slug"), LetterTemplate.id == bindparam("template_id"))
        .options(
            contains_eager(LetterTemplate.campaign).joinedload(Campaign.jurisdiction),
            joinedload(LetterTemplate.blocks),
        )
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
        raise ValidationError("subject", "The subject must be one line (no line breaks).")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError("subject", "Write a subject.")
    try:
        sandbox.render(subject, sandbox.SAMPLE_CONTEXT, max_chars=300)
    except sandbox.TemplateProblem as problem:
        raise ValidationError("subject", f"Subject: {problem}") from None
    return subject


def _checked_blocks(blocks: list[BlockInput]) -> list[BlockInput]:
    """The blocks worth keeping (an empty one goes; a personal one needs a prompt or a label), each checked."""
    kept = [
        block
        for block in blocks
        if (block.body or "").strip() or (block.kind == "personal" and (block.label or "").strip())
    ]
    if not kept:
        raise ValidationError(None, "Add at least one block of text.")
    for number, block in enumerate(kept, start=1):
        if block.kind not in dict(BLOCK_KINDS):
            raise ValidationError(None, f"Block {number}: choose locked, editable or personal.")
        if not 0 <= (block.min_length or 0) <= MAX_BLOCK_CHARS:
            raise ValidationError(None, f"Block {number}: the minimum length must be between 0 and {MAX_BLOCK_CHARS}.")
        if block.kind != "personal":
            try:
                sandbox.render(block.body, sandbox.SAMPLE_CONTEXT)
            except sandbox.TemplateProblem as problem:
                raise ValidationError(None, f"Block {number}: {problem}") from None
    return kept


def save_template(
    session: Session, campaign: Campaign, *, subject: str, blocks: list[BlockInput], actor_id: int | None
) -> tuple[LetterTemplate, str]:
    """Save a new version after rendering it against the sample member; returns it and the sample letter.

    Raises ValidationError naming the part at fault, so nothing unusable is ever saved.
    """
    subject = _checked_subject(subject)
    kept = _checked_blocks(blocks)
    version = (
        session.scalar(select(func.max(LetterTemplate.version)).where(LetterTemplate.campaign_id == campaign.id)) or 0
    ) + 1
    template = LetterTemplate(campaign_id=campaign.id, version=version, subject=subject, created_by_id=actor_id)
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
        **SAMPLE_MEMBER,
    )
    return f"Subject: {subject}\n\n{body}\n\n{signature}"
