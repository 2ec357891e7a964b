"""Composing a letter: its context for a member, the rendered blocks, the constituent signature, the HTML part."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.campaigns import sandbox
from crm.campaigns.models import (
    Campaign,
    LetterTemplate,
)
from crm.campaigns.recipients import Recipient
from crm.lib.i18n import in_language
from crm.members.models import MemberProfile
from crm.members.small_counts import shown_count
from crm.outbox.services import one_line
from crm.reference.models import ElectoralDistrict
from crm.reference.names import name_in, title_in

MAX_LETTER_CHARS = 20_000
MAX_BLOCK_CHARS = 10_000


# --- composing ------------------------------------------------------------------------------------


def members_in_riding(session: Session, district_id: int | None) -> str:
    """How many ITPO members live in the riding, as shown in a letter: small numbers are not disclosed."""
    if district_id is None:
        return shown_count(0)
    return shown_count(
        session.scalar(select(func.count()).select_from(MemberProfile).where(MemberProfile.district_id == district_id))
        or 0
    )


def _member_riding(session: Session, user_id: int) -> tuple[str, str, str] | None:
    """The member's saved riding, its member count and OCD id, in one query; None without a saved riding."""
    others = aliased(MemberProfile)
    count = (
        select(func.count(others.id))
        .where(others.district_id == ElectoralDistrict.id)
        .correlate(ElectoralDistrict)
        .scalar_subquery()
    )
    row = session.execute(
        select(ElectoralDistrict.name, count, ElectoralDistrict.ocd_id)
        .join(MemberProfile, MemberProfile.district_id == ElectoralDistrict.id)
        .where(MemberProfile.user_id == user_id)
    ).first()
    return (row[0], shown_count(row[1] or 0), row[2]) if row is not None else None


def letter_context(session: Session, campaign: Campaign, user, recipient: Recipient, language: str = "en") -> dict:
    """The placeholder values for this member (or, with `user` None, a visitor not yet known) writing to
    this recipient, with riding and party names in the letter's `language`."""
    riding = recipient.member_riding  # read with the recipient, when it was read for this writer
    if riding is None and user is not None:
        riding = _member_riding(session, user.id)
    if riding is None and campaign.kind == "own_representative" and recipient.district is not None:
        district = recipient.district
        riding = (district.name, members_in_riding(session, district.id), district.ocd_id)
    english_riding, count, ocd_id = riding or ("", shown_count(0), None)
    member_riding = name_in(language, "riding", ocd_id, english_riding)
    district = recipient.district
    riding_name = name_in(language, "riding", district.ocd_id, district.name) if district else ""
    party = name_in(language, "party", recipient.party, recipient.party) if recipient.party else None
    if party is None:
        with in_language(language):
            party = gettext("independent")
    return {
        "member_name": one_line(user.name) if user is not None else VISITOR_NAME,
        "member_riding": member_riding,
        "representative_name": recipient.person.full_name if recipient.person else "",
        "representative_title": one_line(title_in(language, recipient.title)),
        "representative_party": party,
        "riding_name": riding_name,
        "members_in_riding": count,
        "hashtag": campaign.hashtag or "",
        "campaign_name": campaign.name,
    }


VISITOR_NAME = "[your name]"  # what a visitor's preview shows until they join or log in


class TemplateFailed(Exception):
    """A template part failed to render for these values (it rendered for the sample member when saved)."""

    def __init__(self, position: int, problem: sandbox.TemplateProblem):
        super().__init__(str(problem))
        self.position = position
        self.message = str(problem)


def _render_part(position: int, source: str, context: dict, **limits) -> str:
    try:
        return sandbox.render(source, context, **limits)
    except sandbox.TemplateProblem as problem:
        raise TemplateFailed(position, problem) from None


def constituent_signature(
    *,
    name: str,
    email: str,
    postal_code: str | None,
    riding: str | None,
    street_address: str | None,
    phone: str | None,
    campaign_name: str,
    language: str = "en",
) -> str:
    """The signature the product appends to every letter, after the template, so an office can place the
    writer in the riding: name, address, postal code, riding, email and phone, and who they are; its words in
    the letter's `language`."""
    lines = ["--", one_line(name)]
    if street_address:
        lines.append(one_line(street_address))
    with in_language(language):
        place = riding and gettext("riding of %(riding)s", riding=riding)
        lines.append(" · ".join(part for part in (postal_code, place) if part) or gettext("(postal code not given)"))
        lines.append(" · ".join(part for part in (one_line(email), one_line(phone or "")) if part))
        lines.append(
            gettext(
                'I am a constituent and a member of %(org)s, writing about its campaign "%(campaign)s".',
                org=current_app.config["ORG_NAME"],
                campaign=one_line(campaign_name),
            )
        )
    return "\n".join(lines)


def draft_blocks(template: LetterTemplate, context: dict) -> list[sandbox.RenderedBlock]:
    """The blocks as the member first sees them: locked and editable ones rendered, personal ones empty."""
    blocks = []
    for block in template.blocks:
        text = block.body if block.kind == "personal" else _render_part(block.position, block.body, context)
        blocks.append(sandbox.RenderedBlock(block.position, block.kind, block.label, text, block.min_length))
    return blocks


def compose(template: LetterTemplate, context: dict, edits: dict[int, str], *, enforce: bool = True):
    """Subject and body as they will be sent, plus problems by block position; raises TemplateFailed.

    Locked blocks always come from the template; editable blocks take the member's text (plain, never
    rendered); personal blocks must reach their minimum length.
    """
    problems: dict[int, str] = {}
    parts = []
    for block in template.blocks:
        if block.kind == "locked":
            text = _render_part(block.position, block.body, context)
        elif block.kind == "editable":
            text = edits.get(block.position)
            if text is None:
                text = _render_part(block.position, block.body, context)
            if enforce and not text.strip():
                problems[block.position] = "This paragraph cannot be empty; restore it or write your own."
        else:
            text = edits.get(block.position, "")
            if enforce and len(text.strip()) < max(block.min_length, 1):
                problems[block.position] = (
                    f"Write at least {block.min_length} characters in your own words ({len(text.strip())} so far)."
                )
        text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_BLOCK_CHARS:
            problems[block.position] = f"Keep this part under {MAX_BLOCK_CHARS:,} characters."
        if text:
            parts.append(text)
    subject = one_line(_render_part(0, template.subject, context, max_chars=300))[:300]
    body = "\n\n".join(parts)
    if enforce and len(body) > MAX_LETTER_CHARS:
        problems[0] = f"The letter is {len(body):,} characters long; the limit is {MAX_LETTER_CHARS:,}."
    return subject, body, problems


def html_body(body: str) -> str:
    """The HTML part: the text, escaped, in paragraphs. Nothing the member typed survives as markup."""
    import nh3  # (here, not at the top: the worker app has no other use for its 1.7 MB)

    paragraphs = [str(escape(part)).replace("\n", "<br>\n") for part in body.split("\n\n")]
    return nh3.clean("".join(f"<p>{p}</p>\n" for p in paragraphs), tags={"p", "br"}, attributes={})
