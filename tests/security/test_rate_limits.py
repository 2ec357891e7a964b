"""Rate limits: logging in, guessing two-step codes, joining, asking for reset links, and sending letters."""

from tests.campaigns.conftest import district_id, send_letter
from tests.conftest import PASSWORD


def test_login_is_rate_limited(browser, make_user):
    """Per client address; each guess names another account, so the per-account throttle stays out of it."""
    make_user(email="limited@example.org")
    token = browser.token()
    statuses = [
        browser.client.post(
            "/login", data={"email": f"limited{n}@example.org", "password": "wrong guess!", "csrf_token": token}
        ).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    page = browser.client.post("/login", data={"email": "limited@example.org", "password": "x", "csrf_token": token})
    assert "You have tried this too often." in page.get_data(as_text=True)  # not the limiter's "10 per 1 minute"


def test_join_is_rate_limited(browser):
    token = browser.token("/join")
    statuses = [browser.client.post("/join", data={"csrf_token": token}).status_code for _ in range(7)]
    assert 429 in statuses


def test_guessing_two_step_codes_is_rate_limited(app, browser, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_FREE_FAILURES", 20)  # the per-address limit alone
    make_user(role="admin", email="guessed@example.org")
    browser.post("/login", {"email": "guessed@example.org", "password": PASSWORD})
    token = browser.token("/login/verify")
    statuses = [
        browser.client.post("/login/verify", data={"code": f"{n:06d}", "csrf_token": token}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429


def test_asking_for_password_reset_links_is_rate_limited(browser, mailbox, make_user):
    make_user(email="flooded@example.org")
    token = browser.token("/password/forgot")
    statuses = [
        browser.client.post("/password/forgot", data={"email": "flooded@example.org", "csrf_token": token}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [302] * 5 and statuses[-1] == 429
    assert len(mailbox.deliver()) == 5


def test_sending_is_rate_limited_per_member(app, browser, make_campaign, make_member):
    app.config["LETTER_RATE_LIMIT"] = "2 per minute"
    try:
        member = make_member(riding=1)
        browser.login(member.email)
        codes = [send_letter(browser, make_campaign(), f"district-{district_id(app, 1)}").status_code for _ in range(3)]
    finally:
        app.config["LETTER_RATE_LIMIT"] = "10 per minute;60 per hour"
    assert codes == [302, 302, 429]


def test_guessing_passwords_on_an_invitation_link_is_rate_limited(browser, make_user, mailbox):
    make_user(role="admin", email="inviter@example.org")
    browser.login("inviter@example.org")
    browser.post("/admin/invitations", {"email": "guest@example.org", "role": "member"})
    link = mailbox.last_link("/invitation/")
    browser.logout()
    token = browser.token(link)
    statuses = [
        browser.client.post(
            link, data={"name": "G", "password": "short", "confirm": "x", "csrf_token": token}
        ).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
