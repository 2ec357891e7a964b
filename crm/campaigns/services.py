"""Campaign services: campaigns and their targets, and sending letters.

Templates, composing, recipients and counts have their own modules. Services add and flush; the view commits.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from email.utils import formataddr, parseaddr
from functools import lru_cache

from flask import current_app
from flask_babel import gettext
from sqlalchemy import case, select
from sqlalchemy.orm import Session, joinedload

# Templates, composing, recipients and counts have modules of their own; callers use services.X.
from crm.campaigns import letter_rows, sharing, similarity
from crm.campaigns.compose import (  # noqa: F401
    MAX_BLOCK_CHARS,
    MAX_LETTER_CHARS,
    VISITOR_NAME,
    TemplateFailed,
    compose,
    constituent_signature,
    draft_blocks,
    html_body,
    letter_context,
    members_in_riding,
)
from crm.campaigns.letter_templates import (  # noqa: F401
    SAMPLE_MEMBER,
    BlockInput,
    current_template,
    sample_letter,
    save_template,
    template_for_member,
    template_languages,
    template_versions,
)
from crm.campaigns.models import (
    CAMPAIGN_KINDS,
    CAMPAIGN_STATUSES,
    LETTER_DELIVERIES,
    MPP_ADDRESSES,
    Campaign,
    CampaignTarget,
    Letter,
    LetterObstacle,
    LetterTemplate,
)
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
    template_and_recipient,
)
from crm.lib.errors import ValidationError
from crm.lib.i18n import N_
from crm.outbox.services import message_row, one_line
from crm.proposals.services import presentable_version
from crm.reference.models import Jurisdiction
from crm.reference.names import name_in
from crm.stakeholders.models import Person

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
        raise ValidationError("name", gettext("Give the campaign a name."))
    values["slug"] = _free_slug(session, campaign, slugify(values.get("slug") or values["name"]))
    values["hashtag"] = _hashtag(values.get("hashtag"))
    _check_choices(session, values)
    if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise ValidationError("ends_on", gettext("The end date is before the start date."))
    if values.get("proposal_version_id") is not None:
        presentable_version(session, values["proposal_version_id"], None)  # a published version, or a field error
    if values["status"] == "live":
        _check_ready_to_go_live(session, campaign, values["kind"])
    return values


def _free_slug(session: Session, campaign: Campaign | None, slug: str) -> str:
    if not slug or not _SLUG_RE.match(slug):
        raise ValidationError("slug", gettext("Use lower-case letters, digits and dashes for the web address."))
    clash = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    if clash is not None and (campaign is None or clash != campaign.id):
        raise ValidationError("slug", gettext("Another campaign uses this web address; choose another."))
    return slug


def _hashtag(text: str | None) -> str | None:
    hashtag = one_line(text).replace(" ", "")
    if hashtag and not hashtag.startswith("#"):
        hashtag = "#" + hashtag
    if hashtag and not re.fullmatch(r"#\w{1,59}", hashtag):
        raise ValidationError("hashtag", gettext("A hashtag is # followed by letters, digits or underscores."))
    return hashtag or None


# Each choice field, the choices it allows, and what to say when the value is not one of them.
_CHOICES = (
    ("kind", CAMPAIGN_KINDS, N_("Choose one of the listed kinds.")),
    ("status", CAMPAIGN_STATUSES, N_("Choose draft, live or closed.")),
    ("mpp_address", MPP_ADDRESSES, N_("Choose the legislature or the constituency address.")),
    ("letter_delivery", LETTER_DELIVERIES, N_("Choose one by one or a daily digest.")),
)


def _check_choices(session: Session, values: dict) -> None:
    for name, choices, message in _CHOICES:
        if values.get(name) not in dict(choices):
            raise ValidationError(name, gettext(message))
    if session.get(Jurisdiction, values.get("jurisdiction_id")) is None:
        raise ValidationError("jurisdiction_id", gettext("Choose a jurisdiction."))


def _check_ready_to_go_live(session: Session, campaign: Campaign | None, kind: str) -> None:
    if campaign is None or current_template(session, campaign.id) is None:
        raise ValidationError("status", gettext("Write the letter template before the campaign goes live."))
    if kind == "fixed_targets" and not campaign.targets:
        raise ValidationError("status", gettext("Add at least one target before the campaign goes live."))


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
        raise ValidationError("person_name", gettext("Choose a person from the directory."))
    if any(target.person_id == person_id for target in campaign.targets):
        raise ValidationError(
            "person_name", gettext("%(full_name)s is already a target of this campaign.", full_name=person.full_name)
        )
    target = CampaignTarget(campaign=campaign, person=person, email=(email or "").strip().lower() or None)
    session.add(target)
    session.flush()
    return target


def remove_target(session: Session, campaign: Campaign, target_id: int) -> None:
    target = next((t for t in campaign.targets if t.id == target_id), None)
    if target is not None:
        campaign.targets.remove(target)
        session.flush()


# Live campaigns first (what members can act on now), then drafts being prepared, then closed ones.
_STATUS_ORDER = case((Campaign.status == "live", 0), (Campaign.status == "draft", 1), else_=2)


def list_campaigns(public_only: bool = False):
    """A select of campaigns, live ones first and newest first within each status."""
    stmt = (
        select(Campaign)
        .options(joinedload(Campaign.jurisdiction))
        .order_by(_STATUS_ORDER, Campaign.created_at.desc(), Campaign.id.desc())
    )
    if public_only:
        stmt = stmt.where(Campaign.status.in_(("live", "closed")))
    return stmt


def campaign_by_slug(session: Session, slug: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.slug == slug).options(joinedload(Campaign.jurisdiction)))


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
        return gettext(
            "The seat for %(riding)s is vacant at the moment, so there is no one to send this "
            "letter to. We have noted it; ITPO will write to you when the seat is filled.",
            riding=recipient.district.name,
        )
    name = recipient.person.full_name if recipient.person else gettext("this representative")
    return gettext(
        "We do not have a confirmed email address for %(name)s yet, so the letter cannot be sent. "
        "We have noted it and will fix the address; please try again in a few days.",
        name=name,
    )


@lru_cache(maxsize=8)
def _address_of(header: str) -> str:
    """The address in a From header (the configured MAIL_FROM), parsed once per value, not per letter."""
    return parseaddr(header)[1]


def sender_addresses(member_name: str, member_email: str) -> tuple[str, str]:
    """From: the organisation's address with the member's name; Reply-To: the member. One line each."""
    org_address = _address_of(current_app.config["MAIL_FROM"])
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
    composed: tuple[str, str] | None = None,
) -> int:
    """Write the letter and everything its send writes in the caller's transaction; returns its id. `composed`:
    its subject and body, when the caller composed them already. Raises ValidationError or DuplicateLetter; a
    double submit that races past the check fails on the unique constraint (IntegrityError).
    """
    _check_can_send(session, campaign, user, recipient, template, today)
    if check_duplicate:
        duplicate = existing_letter(session, campaign.id, user.id, recipient.person.id)
        if duplicate is not None:
            raise DuplicateLetter(duplicate)
    if composed is None:
        context = context or letter_context(session, campaign, user, recipient, template.language)
        subject, body, problems = compose(template, context, edits)
        if problems:
            raise ValidationError("blocks", " ".join(problems.values()))
    else:
        subject, body = composed
    signature = signature_for(user, recipient, campaign, language=template.language)
    sig = similarity.signature(personal_text(template, edits))
    bands = None if sig is None else similarity.band_hashes(sig)
    known = letter_rows.read_before_writing(
        session, campaign_id=campaign.id, user_id=user.id, address=sharing.copy_address(user), sig=sig, bands=bands
    )
    for_digest = campaign.letter_delivery == "daily_digest"  # crm/campaigns/digest.py sends it with the day's others
    letter = {
        "campaign_id": campaign.id,
        "user_id": user.id,
        "person_id": recipient.person.id,
        "office_id": recipient.office.id if recipient.office else None,
        "district_id": recipient.district.id if recipient.district else None,
        "template_id": template.id,
        "language": template.language,
        "party": recipient.party,
        "to_address": recipient.email,
        "subject": subject,
        "body": body,
        "signature": signature,
        "message_id": None,
        "for_digest": for_digest,
    }
    rows = letter_rows.Rows(
        message=None if for_digest else _office_email(user, recipient.email, subject, f"{body}\n\n{signature}"),
        letter=letter,
        check_for=lambda letter_id: similarity.check_row(letter_id, campaign.id, known.check, sig),
        bands=bands,
        copy_for=lambda letter_id: (
            None
            if known.suppressed
            else sharing.copy_of_letter(user, letter, recipient.person.full_name, campaign, letter_id)
        ),
    )
    return letter_rows.write(session, rows, known.ids)


def _check_can_send(session: Session, campaign, user, recipient: Recipient, template, today: date | None) -> None:
    """Raise ValidationError for a letter that cannot go (a stopped recipient is counted for the lead first)."""
    if user.email_confirmed_at is None:
        raise ValidationError(
            None, gettext("Confirm your email address before sending a letter: open the link we sent you.")
        )
    if not campaign.is_open(today or date.today()):
        raise ValidationError(None, gettext("This campaign is not accepting letters at the moment."))
    if template.campaign_id != campaign.id:
        raise ValidationError(None, gettext("That letter template does not belong to this campaign."))
    if recipient.problem:
        record_obstacle(session, campaign, user.id, recipient)
        raise ValidationError(None, obstacle_message(recipient))


def personal_text(template: LetterTemplate, edits: dict[int, str]) -> str:
    """What the member wrote in the personal blocks: the part an office reads as theirs, and compares."""
    return "\n\n".join(edits.get(b.position, "") for b in template.blocks if b.kind == "personal")


def _office_email(user, to: str, subject: str, full_text: str) -> dict:
    """One letter, one email to the office: from ITPO in the member's name, replies to the member."""
    from_header, reply_to = sender_addresses(user.name, user.email)
    return message_row(
        kind="letter",
        to=to,
        subject=subject,
        text=full_text,
        html=html_body(full_text),
        reply_to=reply_to,
        user_id=user.id,
        from_address=from_header,
    )


def signature_for(
    user, recipient: Recipient, campaign: Campaign, postal_code: str | None = None, language: str = "en"
) -> str:
    """The constituent signature of this member's letter in its `language` (a visitor's preview shows a
    stand-in); `postal_code` stands in for one the profile lacks."""
    if user is None:
        return (
            "--\n"
            + VISITOR_NAME
            + "\n"
            + gettext("(your postal code, riding and email are added when you join or log in)")
        )
    profile = getattr(user, "profile", None)
    district = (
        recipient.district
        if campaign.kind == "own_representative" and recipient.district
        else (profile.district if profile is not None else None)
    )
    riding = name_in(language, "riding", district.ocd_id, district.name) if district is not None else None
    return constituent_signature(
        name=user.name,
        email=user.email,
        postal_code=(profile.postal_code if profile else None) or postal_code,
        riding=riding,
        street_address=profile.street_address if profile else None,
        phone=profile.phone if profile else None,
        campaign_name=campaign.name,
        language=language,
    )
