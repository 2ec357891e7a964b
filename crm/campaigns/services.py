"""Campaign services: campaigns, template versions, composing and sending letters.

Whom a letter goes to is in recipients.py, the counts in reading.py. Services add and flush; the view commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from email.utils import formataddr, parseaddr

import nh3
from flask import current_app
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, joinedload

from crm.campaigns import sandbox
from crm.campaigns.models import (
    BLOCK_KINDS,
    CAMPAIGN_KINDS,
    CAMPAIGN_STATUSES,
    LETTER_DELIVERIES,
    MPP_ADDRESSES,
    Campaign,
    CampaignTarget,
    Letter,
    LetterBlock,
    LetterObstacle,
    LetterTemplate,
)

# Recipients and reading live in their own modules; callers still reach them as services.X.
from crm.campaigns.reading import (  # noqa: F401
    campaign_stats,
    latest_letters,
    letter_counts_by_campaign,
    letters_of_member,
    public_counts,
    sent_person_ids,
)
from crm.campaigns.recipients import (  # noqa: F401
    LIKELY_SHARE,
    MINOR_SHARE,
    DistrictChoice,
    PostalChoices,
    Recipient,
    fixed_recipients,
    postal_choices,
    recipient_for_district,
)
from crm.lib.errors import ValidationError
from crm.members.models import MemberProfile
from crm.members.small_counts import shown_count
from crm.outbox.models import OutboundMessage
from crm.outbox.services import one_line, queue_message
from crm.proposals.services import presentable_version
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import Person

MAX_LETTER_CHARS = 20_000
MAX_BLOCK_CHARS = 10_000
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- campaigns ------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


CAMPAIGN_FIELDS = (
    "name",
    "slug",
    "hashtag",
    "summary",
    "kind",
    "jurisdiction_id",
    "goal_letters",
    "goal_ridings",
    "starts_on",
    "ends_on",
    "status",
    "mpp_address",
    "letter_delivery",
    "proposal_version_id",
)


def _check_campaign(session: Session, campaign: Campaign | None, values: dict) -> dict:
    """The campaign form's values, cleaned: raises ValidationError naming the first field at fault."""
    values = dict(values)
    values["name"] = one_line(values.get("name"))
    if not values["name"]:
        raise ValidationError("name", "Give the campaign a name.")
    values["slug"] = _free_slug(session, campaign, slugify(values.get("slug") or values["name"]))
    values["hashtag"] = _hashtag(values.get("hashtag"))
    _check_choices(session, values)
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise ValidationError("ends_on", "The end date is before the start date.")
    if values.get("proposal_version_id") is not None:
        presentable_version(session, values["proposal_version_id"], None)  # a published version, or a field error
    if values["status"] == "live":
        _check_ready_to_go_live(session, campaign, values["kind"])
    return values


def _free_slug(session: Session, campaign: Campaign | None, slug: str) -> str:
    if not slug or not _SLUG_RE.match(slug):
        raise ValidationError("slug", "Use lower-case letters, digits and dashes for the web address.")
    clash = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    if clash is not None and (campaign is None or clash != campaign.id):
        raise ValidationError("slug", "Another campaign uses this web address; choose another.")
    return slug


def _hashtag(text: str | None) -> str | None:
    hashtag = one_line(text).replace(" ", "")
    if hashtag and not hashtag.startswith("#"):
        hashtag = "#" + hashtag
    if hashtag and not re.fullmatch(r"#\w{1,59}", hashtag):
        raise ValidationError("hashtag", "A hashtag is # followed by letters, digits or underscores.")
    return hashtag or None


# Each choice field, the choices it allows, and what to say when the value is not one of them.
_CHOICES = (
    ("kind", CAMPAIGN_KINDS, "Choose one of the listed kinds."),
    ("status", CAMPAIGN_STATUSES, "Choose draft, live or closed."),
    ("mpp_address", MPP_ADDRESSES, "Choose the legislature or the constituency address."),
    ("letter_delivery", LETTER_DELIVERIES, "Choose one by one or a daily digest."),
)


def _check_choices(session: Session, values: dict) -> None:
    for name, choices, message in _CHOICES:
        if values.get(name) not in dict(choices):
            raise ValidationError(name, message)
    if session.get(Jurisdiction, values.get("jurisdiction_id")) is None:
        raise ValidationError("jurisdiction_id", "Choose a jurisdiction.")


def _check_ready_to_go_live(session: Session, campaign: Campaign | None, kind: str) -> None:
    if campaign is None or current_template(session, campaign.id) is None:
        raise ValidationError("status", "Write the letter template before the campaign goes live.")
    if kind == "fixed_targets" and not campaign.targets:
        raise ValidationError("status", "Add at least one target before the campaign goes live.")


def create_campaign(session: Session, *, actor_id: int | None, **values) -> Campaign:
    """Add a campaign (as a draft unless told otherwise); raises ValidationError."""
    values.setdefault("status", "draft")
    values.setdefault("mpp_address", "legislature")
    values["letter_delivery"] = values.get("letter_delivery") or "one_by_one"
    values = _check_campaign(session, None, values)
    campaign = Campaign(created_by_id=actor_id, **{key: values.get(key) for key in CAMPAIGN_FIELDS})
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, **values) -> Campaign:
    merged = {key: getattr(campaign, key) for key in CAMPAIGN_FIELDS} | values
    merged = _check_campaign(session, campaign, merged)
    for key in CAMPAIGN_FIELDS:
        if getattr(campaign, key) != merged.get(key):
            setattr(campaign, key, merged.get(key))
    session.flush()
    return campaign


def add_target(session: Session, campaign: Campaign, person_id: int, email: str | None = None) -> CampaignTarget:
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationError("person_name", "Choose a person from the directory.")
    if any(target.person_id == person_id for target in campaign.targets):
        raise ValidationError("person_name", f"{person.full_name} is already a target of this campaign.")
    target = CampaignTarget(campaign=campaign, person=person, email=(email or "").strip().lower() or None)
    session.add(target)
    session.flush()
    return target


def remove_target(session: Session, campaign: Campaign, target_id: int) -> None:
    target = next((t for t in campaign.targets if t.id == target_id), None)
    if target is not None:
        campaign.targets.remove(target)
        session.flush()


def list_campaigns(public_only: bool = False):
    stmt = (
        select(Campaign)
        .options(joinedload(Campaign.jurisdiction))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    if public_only:
        stmt = stmt.where(Campaign.status.in_(("live", "closed")))
    return stmt


def campaign_by_slug(session: Session, slug: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.slug == slug).options(joinedload(Campaign.jurisdiction)))


# --- templates ------------------------------------------------------------------------------------


def current_template(session: Session, campaign_id: int) -> LetterTemplate | None:
    return session.scalar(
        select(LetterTemplate)
        .where(LetterTemplate.campaign_id == campaign_id)
        .options(joinedload(LetterTemplate.blocks))
        .order_by(LetterTemplate.version.desc())
        .limit(1)
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


# --- composing ------------------------------------------------------------------------------------


def members_in_riding(session: Session, district_id: int | None) -> str:
    """How many ITPO members live in the riding, as shown in a letter: small numbers are not disclosed."""
    if district_id is None:
        return shown_count(0)
    return shown_count(
        session.scalar(select(func.count()).select_from(MemberProfile).where(MemberProfile.district_id == district_id))
        or 0
    )


def _member_riding(session: Session, user_id: int) -> tuple[str, str] | None:
    """The member's saved riding and its member count, in one query; None without a saved riding."""
    others = aliased(MemberProfile)
    count = (
        select(func.count(others.id))
        .where(others.district_id == ElectoralDistrict.id)
        .correlate(ElectoralDistrict)
        .scalar_subquery()
    )
    row = session.execute(
        select(ElectoralDistrict.name, count)
        .join(MemberProfile, MemberProfile.district_id == ElectoralDistrict.id)
        .where(MemberProfile.user_id == user_id)
    ).first()
    return (row[0], shown_count(row[1] or 0)) if row is not None else None


def letter_context(session: Session, campaign: Campaign, user, recipient: Recipient) -> dict:
    """The placeholder values for this member (or, with `user` None, a visitor not yet known) writing to
    this recipient."""
    riding = _member_riding(session, user.id) if user is not None else None
    if riding is None and campaign.kind == "own_representative" and recipient.district is not None:
        riding = (recipient.district.name, members_in_riding(session, recipient.district.id))
    member_riding, count = riding or ("", shown_count(0))
    return {
        "member_name": one_line(user.name) if user is not None else VISITOR_NAME,
        "member_riding": member_riding,
        "representative_name": recipient.person.full_name if recipient.person else "",
        "representative_title": one_line(recipient.title),
        "representative_party": recipient.party or "independent",
        "riding_name": recipient.district.name if recipient.district else "",
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
) -> str:
    """The signature the product appends to every letter, after the template, so an office can place the
    writer in the riding: name, address, postal code, riding, email and phone, and who they are."""
    lines = ["--", one_line(name)]
    if street_address:
        lines.append(one_line(street_address))
    lines.append(
        " · ".join(part for part in (postal_code, riding and f"riding of {riding}") if part)
        or "(postal code not given)"
    )
    lines.append(" · ".join(part for part in (one_line(email), one_line(phone or "")) if part))
    lines.append(
        f"I am a constituent and a member of {current_app.config['ORG_NAME']}, writing about its "
        f'campaign "{one_line(campaign_name)}".'
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
    paragraphs = [str(escape(part)).replace("\n", "<br>\n") for part in body.split("\n\n")]
    return nh3.clean("".join(f"<p>{p}</p>\n" for p in paragraphs), tags={"p", "br"}, attributes={})


# --- sending --------------------------------------------------------------------------------------


class DuplicateLetter(Exception):
    """The member already wrote to this target in this campaign."""

    def __init__(self, letter: Letter):
        super().__init__("duplicate letter")
        self.letter = letter


def existing_letter(session: Session, campaign_id: int, user_id: int, person_id: int) -> Letter | None:
    return session.scalar(
        select(Letter).where(
            Letter.campaign_id == campaign_id, Letter.user_id == user_id, Letter.person_id == person_id
        )
    )


def record_obstacle(session: Session, campaign: Campaign, user_id: int, recipient: Recipient) -> None:
    """Count a member stopped by a vacant seat or a missing address (once per member, district and reason)."""
    district_id = recipient.district.id if recipient.district else None
    exists = session.scalar(
        select(LetterObstacle.id).where(
            LetterObstacle.campaign_id == campaign.id,
            LetterObstacle.user_id == user_id,
            LetterObstacle.district_id.is_(None) if district_id is None else LetterObstacle.district_id == district_id,
            LetterObstacle.reason == recipient.problem,
        )
    )
    if exists is None:
        session.add(
            LetterObstacle(campaign_id=campaign.id, user_id=user_id, district_id=district_id, reason=recipient.problem)
        )
        session.flush()


def obstacle_message(recipient: Recipient) -> str:
    if recipient.problem == "vacant":
        return (
            f"The seat for {recipient.district.name} is vacant at the moment, so there is no one to send this "
            "letter to. We have noted it; ITPO will write to you when the seat is filled."
        )
    name = recipient.person.full_name if recipient.person else "this representative"
    return (
        f"We do not have a confirmed email address for {name} yet, so the letter cannot be sent. "
        "We have noted it and will fix the address; please try again in a few days."
    )


def sender_addresses(member_name: str, member_email: str) -> tuple[str, str]:
    """From: the organisation's address with the member's name; Reply-To: the member. One line each."""
    org_name, org_address = parseaddr(current_app.config["MAIL_FROM"])
    name = one_line(member_name)[:80] or "An ITPO member"
    from_header = formataddr((f"{name} via ITPO", org_address))
    reply_to = formataddr((name, one_line(member_email)))
    return from_header, reply_to


def send_letter(
    session: Session,
    *,
    campaign: Campaign,
    user,
    recipient: Recipient,
    template: LetterTemplate,
    edits: dict[int, str],
    today: date | None = None,
    context: dict | None = None,
    check_duplicate: bool = True,
) -> Letter:
    """Write the letter and its outbox message in the caller's transaction.

    Raises ValidationError (closed campaign, unconfirmed member, no address, bad text) or
    DuplicateLetter. A double submit that races past the check (or a caller that skips it, as the
    send view does to save a query) fails on the unique constraint with IntegrityError at flush.
    """
    if user.email_confirmed_at is None:
        raise ValidationError(None, "Confirm your email address before sending a letter: open the link we sent you.")
    if not campaign.is_open(today or date.today()):
        raise ValidationError(None, "This campaign is not accepting letters at the moment.")
    if template.campaign_id != campaign.id:
        raise ValidationError(None, "That letter template does not belong to this campaign.")
    if recipient.problem:
        record_obstacle(session, campaign, user.id, recipient)
        raise ValidationError(None, obstacle_message(recipient))
    if check_duplicate:
        duplicate = existing_letter(session, campaign.id, user.id, recipient.person.id)
        if duplicate is not None:
            raise DuplicateLetter(duplicate)
    context = context or letter_context(session, campaign, user, recipient)
    subject, body, problems = compose(template, context, edits)
    if problems:
        raise ValidationError("blocks", " ".join(problems.values()))
    signature = signature_for(user, recipient, campaign)
    for_digest = campaign.letter_delivery == "daily_digest"  # crm/campaigns/digest.py sends it with the day's others
    message = None if for_digest else _queue_letter(session, user, recipient.email, subject, f"{body}\n\n{signature}")
    letter = Letter(
        campaign_id=campaign.id,
        user_id=user.id,
        person_id=recipient.person.id,
        office_id=recipient.office.id if recipient.office else None,
        district_id=recipient.district.id if recipient.district else None,
        template_id=template.id,
        party=recipient.party,
        to_address=recipient.email,
        subject=subject,
        body=body,
        signature=signature,
        message_id=message.id if message else None,
        for_digest=for_digest,
    )
    session.add(letter)
    session.flush()
    return letter


def _queue_letter(session: Session, user, to: str, subject: str, full_text: str) -> OutboundMessage:
    """One letter, one email to the office: from ITPO in the member's name, replies to the member."""
    from_header, reply_to = sender_addresses(user.name, user.email)
    return queue_message(
        session,
        kind="letter",
        to=to,
        subject=subject,
        text=full_text,
        html=html_body(full_text),
        reply_to=reply_to,
        user_id=user.id,
        from_address=from_header,
    )


def signature_for(user, recipient: Recipient, campaign: Campaign, postal_code: str | None = None) -> str:
    """The constituent signature of this member's letter (a visitor's preview shows a stand-in); `postal_code`
    stands in for one the profile lacks."""
    if user is None:
        return "--\n" + VISITOR_NAME + "\n(your postal code, riding and email are added when you join or log in)"
    profile = getattr(user, "profile", None)
    riding = (
        recipient.district.name
        if campaign.kind == "own_representative" and recipient.district
        else (profile.district.name if profile is not None and profile.district is not None else None)
    )
    return constituent_signature(
        name=user.name,
        email=user.email,
        postal_code=(profile.postal_code if profile else None) or postal_code,
        riding=riding,
        street_address=profile.street_address if profile else None,
        phone=profile.phone if profile else None,
        campaign_name=campaign.name,
    )
