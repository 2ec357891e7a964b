"""CSRF on every state-changing route; sessions cannot be fixed in advance and end at logout."""

from sqlalchemy import func, select

from crm.auth.access import ACCESS
from crm.campaigns.models import Letter
from tests.campaigns.conftest import district_id, letter_data, write_url
from tests.conftest import Browser
from tests.security.conftest import concrete_url

# Routes that are deliberately without a CSRF token, each for a reason a test elsewhere covers:
NO_CSRF = {
    "outbox.sendgrid_events",  # SendGrid's server posts here; the ECDSA signature is the check
    "outbox.unsubscribe",  # RFC 8058 one-click unsubscribe: a mail client posts with no page
}


def test_every_state_changing_route_refuses_a_post_without_csrf_token(app, browser, make_user):
    """Logged in as an admin (so the access table lets the request through), post with no token."""
    make_user(role="admin", email="csrf-admin@example.org")
    browser.login("csrf-admin@example.org")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in NO_CSRF or rule.rule.startswith("/api/"):
            continue
        response = browser.client.post(concrete_url(rule), data={"anything": "x"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked += 1
    assert checked >= 30


def test_the_exempt_routes_are_in_the_access_table():
    assert NO_CSRF <= set(ACCESS)


def test_login_starts_a_fresh_session_so_none_can_be_planted(browser, make_user):
    make_user(email="fixation@example.org")
    with browser.client.session_transaction() as planted:
        planted["planted_by_attacker"] = "yes"
    browser.login("fixation@example.org")
    with browser.client.session_transaction() as session:
        assert "planted_by_attacker" not in session and session.get("_user_id")


def test_a_copied_session_cookie_stops_working_after_logout(app, browser, make_user):
    make_user(email="stolen@example.org")
    browser.login("stolen@example.org")
    cookie = browser.client.get_cookie("itpo_session").value
    thief = Browser(app.test_client())
    thief.client.set_cookie("itpo_session", cookie)
    assert thief.get("/home").status_code == 200
    browser.logout()
    assert thief.get("/home").status_code == 302


def test_logout_ends_every_session_of_that_user(app, make_user):
    make_user(email="two@example.org")
    laptop, phone = Browser(app.test_client()), Browser(app.test_client())
    laptop.login("two@example.org")
    phone.login("two@example.org")
    assert phone.get("/home").status_code == 200
    laptop.logout()
    assert phone.get("/home").status_code == 302  # the phone's session ended too


def test_a_send_without_csrf_token_is_refused(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    response = browser.client.post(write_url(campaign, f"district-{district_id(app, 1)}"), data=letter_data())
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
