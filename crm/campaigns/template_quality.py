"""Letter templates that hold up in an MPP's office: the skeleton a new template starts from, the warnings a saved
template earns, and the sample letter that shows where each member writes.

Why it works this way: docs/design-notes.md, "campaigns/template_quality.py".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns import sandbox

GOOD_MIN_LENGTH = 100  # characters: under this a personal block invites one line added to a form letter
SKELETON_MIN_LENGTH = 200
CLOSING_LINES = 3
SIGN_OFFS = frozenset(
    {
        "sincerely",
        "yours sincerely",
        "sincerely yours",
        "regards",
        "best regards",
        "kind regards",
        "kindest regards",
        "warm regards",
        "warmest regards",
        "with regards",
        "respectfully",
        "respectfully yours",
        "yours respectfully",
        "yours truly",
        "very truly yours",
        "yours faithfully",
        "thank you",
        "thanks",
        "many thanks",
        "with thanks",
        "with gratitude",
        "gratefully",
        "best wishes",
        "all the best",
        "cordially",
        "cordialement",
        "respectueusement",
        "salutations distinguées",
        "veuillez agréer mes salutations distinguées",
    }
)
SLOT_RE = re.compile(r"\[Personal block \d+[^\]\n]*\]")


@dataclass
class SkeletonBlock:
    kind: str
    body: str
    label: str | None = None
    min_length: int = 0


# --- the skeleton
# ----------------------------------------------------------------------------------------------


def literal(text: str) -> str:
    """Plain text placed in a template so the sandbox prints it as written (a lead's summary may hold braces)."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return re.sub(r"\{([{%#])", r"{ \1", text)


def campaign_asks(session: Session) -> list[str]:
    """ITPO's asks as the letter states them: the committee's titles if seeded, else the shipped ones."""
    from crm.proposals.asks import ASKS
    from crm.proposals.models import Ask

    titles = list(session.scalars(select(Ask.title).order_by(Ask.position)))
    return titles or [title for _, _, title, _, _ in ASKS]


def _cited_version(session: Session, campaign) -> str | None:
    """'Proposal to Ontario (version 3, published 2026-11-24)' for a campaign that cites a proposal version."""
    from crm.proposals.models import ProposalVersion

    if not campaign.proposal_version_id:
        return None
    version = session.get(ProposalVersion, campaign.proposal_version_id)
    if version is None or version.published_at is None:
        return None
    return f"{version.proposal.title} (version {version.number}, published {version.published_at:%Y-%m-%d})"


def ask_paragraph(session: Session, campaign) -> str:
    """The campaign's ask, as a locked paragraph: ITPO's asks, and the proposal version it cites, if any."""
    asks = campaign_asks(session)
    lines = ["I am asking you to support ITPO's asks:"]
    lines += [f"{number}. {title}" for number, title in enumerate(asks, start=1)]
    cited = _cited_version(session, campaign)
    if cited:
        lines.append(f"ITPO sets them out in its proposal {cited}.")
    return literal("\n".join(lines))


def letter_skeleton(session: Session, campaign) -> tuple[str, list[SkeletonBlock]]:
    """What a new template starts from (and the demo's templates use): a greeting to the representative, who
    writes and why, the campaign's ask, the member's story, and a closing."""
    org = literal(current_app.config["ORG_NAME"])
    if campaign.kind == "own_representative":
        intro = (
            "My name is {{ member_name }} and I live in {{ riding_name }}, your riding. I am a member of "
            + org
            + ", and I am writing to you, as my {{ representative_title }}, about {{ campaign_name }}."
        )
    else:
        intro = "My name is {{ member_name }}. I am a member of " + org + ", writing to you about {{ campaign_name }}."
    blocks = [
        SkeletonBlock("locked", "Dear {{ representative_name }},\n\n" + intro),
        SkeletonBlock("locked", ask_paragraph(session, campaign)),
        SkeletonBlock(
            "personal",
            "In your own words: who you are, where you trained and practised, and what this change would mean "
            "for you and for patients here.",
            label="Your story",
            min_length=SKELETON_MIN_LENGTH,
        ),
        SkeletonBlock(
            "locked",
            "Thank you for your time. I would be grateful for a reply telling me where you stand on these asks."
            "\n\nSincerely,",
        ),
    ]
    return "{{ campaign_name }}: a letter from {{ member_name }}", blocks


# --- warnings
# --------------------------------------------------------------------------------------------------


def _rendered(body: str) -> str:
    try:
        return sandbox.render(body or "", sandbox.SAMPLE_CONTEXT)
    except sandbox.TemplateProblem:
        return body or ""


def is_sign_off(line: str) -> bool:
    """A line that signs a letter off: 'Sincerely,' 'Kind regards' 'Respectfully.' (case and punctuation aside)."""
    words = " ".join(line.strip().rstrip(",.!;:—-").split()).lower()
    return words in SIGN_OFFS


def has_closing(blocks) -> bool:
    """True when the last non-empty block is not personal and one of its last lines is a sign-off."""
    filled = [block for block in blocks if (block.body or "").strip() or block.kind == "personal"]
    if not filled or filled[-1].kind == "personal":
        return False
    lines = [line for line in _rendered(filled[-1].body).splitlines() if line.strip()]
    return any(is_sign_off(line) for line in lines[-CLOSING_LINES:])


def template_warnings(blocks) -> list[str]:
    """What makes a template's letters easy for an office to discount (it is saved anyway): no personal block, a
    personal block that asks for under GOOD_MIN_LENGTH characters, no closing."""
    warnings = []
    personal = [(number, block) for number, block in enumerate(blocks, start=1) if block.kind == "personal"]
    if not personal:
        warnings.append(
            gettext(
                "This letter has no personal block. Offices count letters in the writer's own words and discount "
                "form letters: add a personal block for the member's story."
            )
        )
    for number, block in personal:
        if (block.min_length or 0) < GOOD_MIN_LENGTH:
            warnings.append(
                gettext(
                    "Block %(number)s (personal) asks for at least %(asked)s characters. Ask for %(good)s or more, "
                    "so members tell a story rather than add a line to a form letter.",
                    number=number,
                    asked=block.min_length or 0,
                    good=GOOD_MIN_LENGTH,
                )
            )
    if not has_closing(blocks):
        warnings.append(
            gettext(
                'The letter has no closing. End its last block with a sign-off such as "Sincerely," or "Regards,"; '
                "the member's signature (name, postal code, riding, email) is added after it."
            )
        )
    return warnings


# --- the sample
# ------------------------------------------------------------------------------------------------


def personal_slot(number: int, block) -> str:
    """The marked stand-in the sample letter shows where a member writes a personal block."""
    label = (block.label or "").strip() or "the member's own words"
    label = re.sub(r"[\[\]\n\r]", " ", label)[:80]
    return f"[Personal block {number}: {label} (at least {block.min_length or 0} characters, the member writes here)]"


def sample_markup(sample: str | None) -> Markup | None:
    """The sample letter as HTML: escaped text, each personal block's stand-in marked so the lead sees it."""
    if sample is None:
        return None
    parts, last = [], 0
    for match in SLOT_RE.finditer(sample):
        parts.append(escape(sample[last : match.start()]))
        parts.append(Markup('<mark class="personal-slot">{}</mark>').format(match.group(0)))
        last = match.end()
    parts.append(escape(sample[last:]))
    return Markup("").join(parts)
