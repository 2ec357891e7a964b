"""Members who joined through a campaign: recorded at sign-up, counted on the campaign's dashboard.

Why it works this way: docs/design-notes.md, "campaigns/sign_ups.py".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from crm.auth.signals import email_confirmed
from crm.campaigns.models import Campaign
from crm.members.signals import member_joined

MAX_SLUG = 80  # Campaign.slug's length


def _slug_from_next(next_url: str | None) -> str | None:
    """The slug of a campaign page or letter page that `next_url` points to, if it does."""
    if not next_url:
        return None
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(urlsplit(next_url).path, method="GET")
    except HTTPException:  # not found, or a redirect
        return None
    return args.get("slug") if endpoint in ("campaigns.show", "campaigns.write") else None


def live_campaign_id(session, slug: str | None) -> int | None:
    """The id of the live campaign with this slug; None for an unknown, draft or closed one, or nonsense."""
    slug = (slug or "").strip()
    if not slug or len(slug) > MAX_SLUG:
        return None
    return session.scalar(select(Campaign.id).where(Campaign.slug == slug, Campaign.status == "live"))


@member_joined.connect
def record_joining_campaign(sender, *, session, profile, campaign=None, next_url=None, **_):
    """Note on the new member's profile the live campaign they joined through, if any."""
    profile.joined_via_campaign_id = live_campaign_id(session, campaign) or live_campaign_id(
        session, _slug_from_next(next_url)
    )


@member_joined.connect
def attach_waiting_letter(sender, *, session, user, pending=None, **_):
    """A visitor who wrote first and then joined: their waiting letter is theirs now, sent on confirmation."""
    from crm.campaigns.flow import claim_pending, resolve_recipient

    letter = claim_pending(session, pending, user.id) if pending else None
    if letter is None:
        return None
    recipient = resolve_recipient(session, letter.campaign, letter.recipient_key)
    name = recipient.person.full_name if recipient and recipient.person else gettext("your representative")
    return gettext(
        "Opening this link also sends your letter to %(name)s, which waits for you until then (seven days).", name=name
    )


@email_confirmed.connect
def send_waiting_letters_on_confirmation(sender, *, session, user, **_):
    """The confirmation link both confirms the address and sends the letters that waited for it."""
    from flask import url_for

    from crm.campaigns.flow import send_waiting_letters

    outcomes = send_waiting_letters(session, user)
    if not outcomes:
        return None
    sent = [o for o in outcomes if o.kind == "sent"]
    if sent:
        names = ", ".join(o.recipient.person.full_name for o in sent)
        return {
            "message": gettext("Your letter to %(names)s is on its way.", names=names),
            "category": "success",
            "next": url_for("campaigns.share", letter_id=sent[0].letter_id),
        }
    messages = " ".join(str(o.message or gettext("Your letter was not sent.")) for o in outcomes)
    return {"message": messages, "category": "warning"}
