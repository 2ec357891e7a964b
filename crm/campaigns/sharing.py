"""Spreading a campaign after a letter: a copy of the letter for its writer, share links carrying the member's
referral code, a one-off invitation to colleagues, and the sign-ups those links bring (for the dashboard)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from urllib.parse import quote, urlencode

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, render_template
from flask import session as cookie_session
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from crm.audit.services import record
from crm.campaigns import sandbox
from crm.campaigns.models import Campaign, CampaignReferral, CampaignTarget, Letter, ReferralCode
from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, in_language, recipient_language
from crm.members.privacy import MemberDataSource, register_member_data
from crm.members.signals import member_joined
from crm.outbox.bulk import casl_footer, external_url, unsubscribe_token
from crm.outbox.models import UNSUBSCRIBE_TOKEN, OutboundMessage, Suppression
from crm.outbox.services import dialect_insert, message_row, one_line, queue_message
from crm.reference.names import member_title

COPY_REASON = N_("because you sent this letter through us")  # a copy goes even to those who declined campaign email
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: a code read aloud or retyped survives
CODE_LENGTH = 10  # 31**10, some 8 * 10**14 codes: not guessable, short enough for a link in a text message
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
MAX_COLLEAGUES = 5  # a colleague or two, a small team; never a mailing list
NOTE_MAX = 500
_ADDRESSES_MAX_CHARS = 4_000  # room for 5 long addresses and separators; more is a list, refused unread
INVITE_AGAIN_DAYS = 30  # one invitation per address in this time, whoever asks: the colleague never consented
SESSION_KEY = "campaign_referral"
_LINK_IN_NOTE = re.compile(r"(https?:|www\.|://|\w\.(com|org|net|ca|io|ly|co)\b)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


# --- the member's referral code
# -------------------------------------------------------------------------------


def referral_code(session: Session, user_id: int) -> str:
    """The member's code, made on first use; random, so it says nothing of their id and cannot be guessed."""
    code = session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))
    while code is None:  # a concurrent first use, or (once in 10**14) a taken code: read again or draw again
        session.execute(
            dialect_insert(session, ReferralCode)
            .values(user_id=user_id, code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
            .on_conflict_do_nothing()
        )
        code = session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))
    return code


def referrer_of(session: Session, code: str | None) -> int | None:
    """The member whose code this is; None for anything else (malformed, unknown), never an error."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    return session.scalar(select(ReferralCode.user_id).where(ReferralCode.code == code))


# --- share links
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareLink:
    key: str
    label: str
    href: str


def campaign_url(campaign: Campaign, code: str) -> str:
    """The campaign's public page with the member's referral code."""
    return external_url("campaigns.show", slug=campaign.slug, ref=code)


def share_text(campaign: Campaign) -> str:
    """What the member's share says, in the page's language: whom they wrote to ("my MLA", the legislature's own
    title, or decision-makers for fixed targets) and the campaign."""
    if campaign.kind == "own_representative":
        return gettext(
            "I wrote to my %(title)s in ITPO's campaign \u201c%(name)s\u201d. Add your voice:",
            title=member_title(campaign.jurisdiction.member_title),
            name=campaign.name,
        )
    return gettext(
        "I wrote to decision-makers in ITPO's campaign \u201c%(name)s\u201d. Add your voice:", name=campaign.name
    )


def share_links(campaign: Campaign, code: str) -> list[ShareLink]:
    """Email, WhatsApp, X, Facebook and LinkedIn links, each with the hashtag and the referral link, built
    here and URL-encoded: no third-party script runs on our page, and it works without JavaScript."""
    url, text, tag = campaign_url(campaign, code), share_text(campaign), campaign.hashtag or ""
    full = " ".join(part for part in (text, url, tag) if part)
    mail = {"subject": f"{campaign.name} {tag}".strip(), "body": f"{full}\n"}
    tweet = {"text": text, "url": url, "hashtags": tag.lstrip("#")}
    facebook = {"u": url, "hashtag": tag}
    return [
        ShareLink("email", gettext("Email"), "mailto:?" + urlencode(mail, quote_via=quote)),
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": full}, quote_via=quote)),
        ShareLink("x", "X", "https://x.com/intent/tweet?" + _query(tweet)),
        ShareLink("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?" + _query(facebook)),
        ShareLink(
            "linkedin", "LinkedIn", "https://www.linkedin.com/feed/?" + _query({"shareActive": "true", "text": full})
        ),
    ]


def _query(values: dict) -> str:
    """A URL-encoded query of the values that are not empty (a campaign without a hashtag sends none)."""
    return urlencode({key: value for key, value in values.items() if value}, quote_via=quote)


# --- the copy for the member
# ----------------------------------------------------------------------------------


def copy_address(user) -> str:
    """Where the member's copy goes (the send reads whether it unsubscribed: crm/campaigns/letter_rows.py)."""
    return user.email.strip().lower()


_COPY_HOLES = ("member_name", "target", "campaign_name", "subject", "body", "signature", "share_url")
_copy_stencils: dict = {}  # (language, the loaded template) -> its text with the holes open


def _copy_stencil(language: str) -> list[str]:
    """email/letter_copy.txt in `language` with every value left open (sandbox.fill fills them): rendered once per
    language and loaded template, not per letter. The text template alone: an email needs no context processors."""
    template = current_app.jinja_env.get_template("email/letter_copy.txt")  # (reloaded when edited, in development)
    parts = _copy_stencils.get((language, template))
    if parts is None:
        hole = sandbox.hole_values(_COPY_HOLES)
        text = template.render(
            letter={"subject": hole["subject"], "body": hole["body"], "signature": hole["signature"]},
            member_name=hole["member_name"],
            target=hole["target"],
            campaign={"name": hole["campaign_name"]},
            share_url=hole["share_url"],
        )
        if len(_copy_stencils) > 16:  # templates reloaded in development: forget the old ones
            _copy_stencils.clear()
        parts = _copy_stencils[(language, template)] = sandbox.split_holes(text)
    return parts


def copy_of_letter(user, letter: dict, target: str, campaign: Campaign, letter_id: int) -> dict:
    """The member's own letter as sent (body and signature, nothing of anyone else's), as its outbox row. A
    member email: the CASL footer and a one-click unsubscribe; the send leaves it out for an address that
    unsubscribed."""
    address = copy_address(user)
    unsubscribe = external_url("outbox.unsubscribe", token=unsubscribe_token(address, user.id))
    language = recipient_language(user)
    with in_language(language):
        values = {
            "member_name": user.name,
            "target": target,
            "campaign_name": campaign.name,
            "subject": letter["subject"],
            "body": letter["body"],
            "signature": letter.get("signature") or "",
            "share_url": external_url("campaigns.share", letter_id=letter_id),
        }
        text = sandbox.fill(_copy_stencil(language), values)
        subject = gettext("A copy of your letter to %(name)s", name=target)
        footer = casl_footer(because=COPY_REASON)
    return message_row(
        kind="letter_copy",
        to=address,
        subject=subject,
        text=text + footer.replace(UNSUBSCRIBE_TOKEN, unsubscribe),
        user_id=user.id,
        unsubscribe_url=unsubscribe,
    )


# --- "send this to a colleague"
# -------------------------------------------------------------------------------


class ColleagueForm(FlaskForm):
    addresses = TextAreaField(
        _l("Your colleagues' email addresses"),
        description=_l("Up to %(count)s, separated by commas or on separate lines.", count=MAX_COLLEAGUES),
    )
    note = TextAreaField(
        _l("A short note from you (optional)"),
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=_l("Keep the note to %(NOTE_MAX)s characters.", NOTE_MAX=NOTE_MAX)),
        ],
        description=_l(
            "Plain text, up to %(count)s characters, no links: the invitation carries the campaign's link.",
            count=NOTE_MAX,
        ),
    )
    submit = SubmitField(_l("Send the invitation"))


def parse_addresses(raw: str | None) -> list[str]:
    """The distinct, valid, lower-cased addresses typed; ValidationError names the first problem."""
    raw = raw or ""
    parts = [p for p in re.split(r"[\s,;]+", raw[: _ADDRESSES_MAX_CHARS + 1]) if p]
    if len(raw) > _ADDRESSES_MAX_CHARS or len(parts) > MAX_COLLEAGUES:
        count = len(re.findall(r"@", raw))
        raise ValidationError(
            "addresses",
            gettext(
                "You can invite at most %(MAX_COLLEAGUES)s colleagues at a time; you entered %(count)s.",
                MAX_COLLEAGUES=MAX_COLLEAGUES,
                count=count,
            ),
        )
    if not parts:
        raise ValidationError("addresses", gettext("Enter at least one colleague's email address."))
    addresses = []
    for part in parts:
        try:
            address = validate_email(part, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            shown = one_line(part)[:60]
            raise ValidationError("addresses", gettext("“%(shown)s” is not an email address.", shown=shown)) from None
        if address not in addresses:
            addresses.append(address)
    return addresses


def clean_note(note: str | None) -> str | None:
    """The member's note as it goes out: plain text, no control characters, capped, no links (no phishing under
    ITPO's name); None when empty."""
    note = _CONTROL.sub("", (note or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(note) > NOTE_MAX:
        raise ValidationError("note", gettext("Keep the note to %(NOTE_MAX)s characters.", NOTE_MAX=NOTE_MAX))
    if _LINK_IN_NOTE.search(note):
        raise ValidationError(
            "note", gettext("Leave links out of the note: the invitation carries the campaign's link.")
        )
    return note or None


def official_addresses(session: Session, addresses: list[str]) -> set[str]:
    """Those of `addresses` that belong to an official or anyone in ITPO's directory (offices past and present,
    people's contact points, campaign targets): they receive letters through the letter pipeline only. (Letters'
    recipients come from these same columns, so the letters table, which grows to millions, is not read.)"""
    from crm.stakeholders.models import ContactPoint, ElectedOffice

    found: set[str] = set()
    for column, extra in (
        (ElectedOffice.legislature_email, ()),
        (ElectedOffice.constituency_email, ()),
        (ContactPoint.value, (ContactPoint.kind == "email",)),
        (CampaignTarget.email, ()),
    ):
        lowered = func.lower(column)
        found.update(session.scalars(select(lowered).where(lowered.in_(addresses), *extra).distinct()))
    return found


def _refusal(session: Session, user, addresses: list[str]) -> str | None:
    """Why these addresses may not be invited, if they may not."""
    if user.email.lower() in addresses:
        return gettext("That is your own address: you receive a copy of your letter already.")
    officials = official_addresses(session, addresses)
    if officials:
        return gettext(
            "%(address)s belongs to an official in ITPO's directory. Officials receive letters only "
            "through the campaign's letter, never an invitation: leave it out.",
            address=sorted(officials)[0],
        )
    suppressed = session.scalars(select(Suppression.address).where(Suppression.address.in_(addresses))).first()
    if suppressed:
        return gettext("%(address)s has asked ITPO not to email it: leave it out.", address=suppressed)
    since = datetime.utcnow() - timedelta(days=INVITE_AGAIN_DAYS)
    invited = session.scalars(
        select(OutboundMessage.to_address).where(
            OutboundMessage.to_address.in_(addresses),
            OutboundMessage.kind == "colleague_invite",
            OutboundMessage.created_at >= since,
        )
    ).first()
    if invited:
        return gettext(
            "%(invited)s has already been invited in the last %(days)s days; ITPO sends one invitation.",
            invited=invited,
            days=INVITE_AGAIN_DAYS,
        )
    return None


def _invite_subject(name: str, campaign: Campaign) -> str:
    """The invitation's subject, in the inviting member's language (the colleague's is unknown)."""
    if campaign.kind == "own_representative":
        return gettext(
            "%(name)s invites you to write to your %(title)s",
            name=name,
            title=member_title(campaign.jurisdiction.member_title),
        )
    return gettext("%(name)s invites you to write to decision-makers", name=name)


def invite_colleagues(session: Session, *, letter: Letter, user, addresses: str | None, note: str | None) -> int:
    """Queue one plain invitation per colleague (naming the member, with the campaign's link and referral code,
    nothing tracked), each audit-logged. Refuses the whole request (ValidationError) if any address may not be
    invited. Returns how many were queued."""
    wanted = parse_addresses(addresses)
    note = clean_note(note)
    reason = _refusal(session, user, wanted)
    if reason:
        raise ValidationError("addresses", reason)
    campaign = letter.campaign
    link = campaign_url(campaign, referral_code(session, user.id))
    name = one_line(user.name)[:80] or gettext("An ITPO member")
    for address in wanted:
        opt_out = external_url("outbox.unsubscribe", token=unsubscribe_token(address, None))
        text = render_template(
            "email/colleague_invite.txt", name=name, campaign=campaign, link=link, note=note, opt_out=opt_out
        )
        message = queue_message(
            session,
            kind="colleague_invite",
            to=address,
            subject=_invite_subject(name, campaign),
            text=text,
            reply_to=formataddr((name, one_line(user.email))),
            user_id=user.id,
            unsubscribe_url=opt_out,
        )
        record(session, "invite_colleague", "outbound_messages", message.id, {"campaign_id": [None, campaign.id]})
    session.flush()
    return len(wanted)


# --- sign-ups through a referral link
# --------------------------------------------------------------------------


def remember_referral(campaign: Campaign, code: str | None, logged_in: bool) -> None:
    """A visitor opened the campaign through a member's link: keep the code (if well-formed) in their session until
    they join. Unknown codes are found out at joining, and ignored."""
    if logged_in or not isinstance(code, str) or not _CODE.fullmatch(code):
        return
    cookie_session[SESSION_KEY] = {"code": code, "campaign_id": campaign.id}


@member_joined.connect
def record_referral(sender, *, session, user, **_):
    """The new member came through a member's link to a live campaign: record who referred them, once."""
    if not has_request_context():
        return None
    kept = cookie_session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or not isinstance(kept.get("campaign_id"), int):
        return None
    referrer = referrer_of(session, kept.get("code"))
    live = session.scalar(select(Campaign.id).where(Campaign.id == kept["campaign_id"], Campaign.status == "live"))
    if referrer is None or live is None or referrer == user.id:
        return None
    session.add(CampaignReferral(campaign_id=live, referrer_id=referrer, user_id=user.id))
    session.flush()
    return None


def referral_sign_ups_query(campaign_id: int, conditions=()):
    """A select of how many joined through members' referral links to this campaign (conditions on created_at)."""
    return select(func.count(CampaignReferral.id)).where(CampaignReferral.campaign_id == campaign_id, *conditions)


def letter_of_member(session: Session, user_id: int, letter_id: int) -> Letter | None:
    """The member's own letter, or None (someone else's looks exactly like a missing one)."""
    return session.scalar(select(Letter).where(Letter.id == letter_id, Letter.user_id == user_id))


def _export_code(session: Session, user_id: int) -> list[dict]:
    code = session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))
    return [{"referral_code": code}] if code else []


def _erase_code(session: Session, user_id: int) -> None:
    """The code goes, so the member's old links credit no one; the sign-ups they brought stay counted."""
    session.execute(delete(ReferralCode).where(ReferralCode.user_id == user_id))


register_member_data(MemberDataSource("referral_code", _export_code, _erase_code))
