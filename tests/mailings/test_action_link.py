"""The action link: signed, 14 days, leads to the letter with the representative chosen, never logs anyone in."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from crm.extensions import db
from crm.mailings import links
from crm.mailings.models import MailingRecipient
from tests.mailings.conftest import district_id, make_mailing, make_segment, run_due


def _token(app, user_id, campaign_id, mailing_id, key, now=None) -> str:
    with app.app_context():
        return links.token_maker(now)(user_id, campaign_id, mailing_id, key)


def _sent_link(app, session, browser, make_campaign, make_reachable):
    """A member, a sent mailing, and the member's own action link as it is in their mail."""
    from crm.outbox.models import OutboundMessage

    campaign = make_campaign()
    member = make_reachable(riding=1)
    mailing_id = make_mailing(app, campaign, make_segment(app))
    with app.test_request_context():
        from crm.mailings.models import Mailing
        from crm.mailings.services import send_mailing

        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
    run_due(app)
    text = session.scalar(select(OutboundMessage.text_body).where(OutboundMessage.to_address == member.email))
    url = next(word for word in text.split() if "/act/" in word)
    return campaign, member, mailing_id, urlsplit(url).path


def test_a_logged_out_member_is_asked_to_log_in_and_then_lands_on_the_letter(
    app, client, browser, session, make_campaign, make_reachable
):
    campaign, member, mailing_id, path = _sent_link(app, session, browser, make_campaign, make_reachable)
    response = browser.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/login" and query["email"] == [member.email]
    assert query["next"] == [f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"]
    assert browser.get("/my/letters").status_code == 302  # the link gave no session
    clicked = session.scalar(select(MailingRecipient.clicked_at).where(MailingRecipient.mailing_id == mailing_id))
    assert clicked is not None


def test_the_member_logged_in_goes_straight_to_the_letter(app, browser, session, make_campaign, make_reachable):
    campaign, member, _, path = _sent_link(app, session, browser, make_campaign, make_reachable)
    browser.login(member.email)
    response = browser.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    assert browser.get(path).status_code == 302  # a reused link still leads to the letter (the write page
    # sends a member who already wrote to "My letters")


def test_someone_else_logged_in_is_told_the_link_is_not_theirs(
    app, browser, session, make_campaign, make_reachable, make_member
):
    _, _, _, path = _sent_link(app, session, browser, make_campaign, make_reachable)
    other = make_member()
    browser.login(other.email)
    page = browser.get(path)
    assert page.status_code == 200 and "sent to another member" in page.get_data(as_text=True)


def test_expired_and_tampered_links_say_so_with_a_way_to_the_campaign(app, browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member()
    old = _token(app, member.id, campaign.id, 1, "", now=time.time() - 15 * 24 * 3600)
    expired = browser.get(f"/act/{old}")
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert f"/campaigns/{campaign.slug}" in expired.get_data(as_text=True)
    good = _token(app, member.id, campaign.id, 1, "")
    for bad in (good[:-3] + "abc", "nonsense", good.replace(".", "", 1), "a" * 300):
        response = browser.get(f"/act/{bad}")
        assert response.status_code == 400 and "This link does not work" in response.get_data(as_text=True)
