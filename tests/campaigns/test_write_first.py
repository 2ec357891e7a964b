"""Write first, confirm to send (WriteToThem's model): a visitor's letter waits while they join or log in, and
the confirmation link both confirms the address and sends it. Whoever is sent away comes back to the letter."""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from crm.campaigns.models import Campaign, Letter, PendingLetter
from tests.campaigns.conftest import STORY, district_id, letter_data, write_url

NEW_MEMBER = {
    "full_name": "Dr. Nadia Haddad",
    "email": "nadia@example.org",
    "password": "a long enough passphrase 42",
    "postal_code": "L1S 2B3",
    "province": "ON",
    "consent_email": "y",
}


def _write_as_visitor(app, browser, campaign):
    url = write_url(campaign, f"district-{district_id(app, 1)}")
    response = browser.post(url, letter_data(), page=url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is saved" in page and "Rob Cerjanec" in page
    return page


def _join_link(page: str) -> str:
    import html
    import re

    return html.unescape(re.search(r'href="(/join\?[^"]+)"', page).group(1))


def test_a_visitor_writes_joins_and_the_confirmation_link_sends_the_letter(
    app, browser, make_campaign, mailbox, session
):
    campaign = make_campaign()
    page = _write_as_visitor(app, browser, campaign)
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
    join = _join_link(page)
    response = browser.post(join, NEW_MEMBER, page=join)
    assert response.status_code == 302
    mailbox.deliver()
    confirmation = mailbox.sent[-1].get_body(preferencelist=("plain",)).get_content()
    assert "also sends your letter to Rob Cerjanec" in confirmation
    browser.client.delete_cookie("session")  # confirmed on another device: the link alone is enough
    confirmed = browser.get(mailbox.last_link("/confirm/"))
    letter = session.scalar(select(Letter))
    assert letter is not None and STORY in letter.body
    assert "nadia@example.org" in letter.signature and "L1S 2B3" in letter.signature
    assert f"/my/letters/{letter.id}" in confirmed.headers["Location"].replace("%2F", "/")
    assert session.scalar(select(func.count()).select_from(PendingLetter)) == 0


def test_a_member_who_was_logged_out_logs_in_and_finds_their_text_kept(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign()
    member = make_member(riding=1)
    page = _write_as_visitor(app, browser, campaign)
    import html
    import re

    login_link = html.unescape(re.search(r'href="(/login\?[^"]+)"', page).group(1))
    next_url = login_link.split("next=", 1)[1].replace("%2F", "/").replace("%3F", "?").replace("%3D", "=")
    response = browser.post(
        login_link,
        {"email": member.email, "password": "correct horse battery staple", "next": next_url},
        page=login_link,
    )
    assert "/campaigns/" in response.headers["Location"] and "pending=" in response.headers["Location"]
    restored = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert STORY in restored and "letter-signature" in restored
    assert session.scalar(select(func.count()).select_from(Letter)) == 0  # the member presses Send themselves


def test_a_waiting_letter_whose_campaign_closed_is_not_sent_and_the_member_is_told(
    app, browser, make_campaign, mailbox, session
):
    campaign = make_campaign()
    join = _join_link(_write_as_visitor(app, browser, campaign))
    browser.post(join, NEW_MEMBER, page=join)
    session.execute(update(Campaign).values(status="closed"))
    session.commit()
    confirmed = browser.get(mailbox.last_link("/confirm/"), follow_redirects=True).get_data(as_text=True)
    assert "closed before you confirmed" in confirmed
    assert session.scalar(select(func.count()).select_from(Letter)) == 0


def test_waiting_letters_are_deleted_after_seven_days_with_their_text(app, browser, make_campaign, runner, session):
    campaign = make_campaign()
    _write_as_visitor(app, browser, campaign)
    session.execute(update(PendingLetter).values(created_at=datetime.utcnow() - timedelta(days=8)))
    session.commit()
    result = runner.invoke(args=["crm", "expire-waiting-letters"])
    assert "1 waiting letter" in result.output
    assert session.scalar(select(func.count()).select_from(PendingLetter)) == 0


def test_someone_elses_or_an_expired_waiting_letter_is_not_restored(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    _write_as_visitor(app, browser, campaign)
    pending = session.scalar(select(PendingLetter))
    pending.user_id = make_member(email="other@example.org").id
    session.commit()
    member = make_member(riding=1, email="me@example.org")
    browser.login(member.email)
    page = browser.get(f"/campaigns/{campaign.slug}/write?pending={pending.token}", follow_redirects=True)
    assert STORY not in page.get_data(as_text=True)
    assert "expired" in page.get_data(as_text=True)


def test_a_member_without_a_postal_code_is_asked_for_it_before_sending(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign()
    member = make_member(riding=None, postal_code=None)
    browser.login(member.email)
    url = write_url(campaign, f"district-{district_id(app, 1)}")
    page = browser.post(url, letter_data(), page=url).get_data(as_text=True)
    assert "Enter your postal code" in page
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
    response = browser.post(url, letter_data(postal_code="l1s 2b3"), page=url)
    assert response.status_code == 302
    assert "L1S 2B3" in session.scalar(select(Letter.signature))


def test_the_preview_shows_the_constituent_signature_the_template_cannot_remove(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign(blocks=[dict(kind="personal", body="Your story", min_length=20)], subject="A letter")
    member = make_member(riding=1, name="Dr. Amina Okafor")
    browser.login(member.email)
    url = write_url(campaign, f"district-{district_id(app, 1)}")
    page = browser.post(url, {"block-1": STORY, "preview": "Preview"}, page=url).get_data(as_text=True)
    assert "Dr. Amina Okafor" in page and "riding of Ajax" in page and "a member of" in page
    browser.post(url, {"block-1": STORY, "send": "Send my letter"}, page=url)
    from crm.outbox.models import OutboundMessage

    text = session.scalar(select(OutboundMessage.text_body).where(OutboundMessage.kind == "letter"))
    assert text.count("riding of Ajax") == 1 and member.email in text and "L1S 1A1" in text


def test_a_template_that_fails_for_one_member_says_so_and_tells_the_lead(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign(
        blocks=[
            dict(kind="locked", body="{{ 10 / (0 if riding_name == 'Ajax' else 1) }}"),
            dict(kind="personal", body="Your story", min_length=20),
        ]
    )
    member = make_member(riding=1)
    browser.login(member.email)
    response = browser.get(write_url(campaign, f"district-{district_id(app, 1)}"))
    assert response.status_code == 503
    assert "cannot be prepared right now" in response.get_data(as_text=True)
    browser.logout()
    browser.login(campaign.lead.email)
    dashboard = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "division by zero" in dashboard and "Ajax" in dashboard
