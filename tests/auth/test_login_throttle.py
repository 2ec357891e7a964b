"""Per-account login throttling: many addresses guessing one account's password are slowed down, the holder is
told once, the audit log keeps a row, and an attacker cannot use it to lock the holder out."""

from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.auth import throttle
from crm.outbox.models import OutboundMessage
from tests.conftest import PASSWORD

WAIT_TEXT = "Too many failed attempts to log in with this address"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, frozen; `clock.advance(seconds)` moves it on."""

    class Clock:
        now = datetime(2026, 12, 5, 9, 0, 0)

        def advance(self, seconds):
            self.now += timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr(throttle, "clock", lambda: frozen.now)
    return frozen


_ADDRESSES = (f"203.0.{n // 250}.{n % 250 + 1}" for n in count())


def guess(browser, email, password="wrong guess!", address=None, url="/login", **fields):
    """One attempt, from a new client address unless one is given (so the per-address limit never applies)."""
    token = browser.token(url)
    return browser.client.post(
        url,
        data={"email": email, "password": password, "csrf_token": token, **fields},
        environ_base={"REMOTE_ADDR": address or next(_ADDRESSES)},
    )


def thirty_addresses_guess(browser, email):
    return [guess(browser, email, address=f"198.51.100.{n}") for n in range(1, 31)]


def test_thirty_addresses_guessing_one_account_are_slowed_after_five_failures(browser, make_user, clock):
    make_user(email="target@example.org")
    responses = thirty_addresses_guess(browser, "target@example.org")
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 25
    page = responses[-1].get_data(as_text=True)
    assert WAIT_TEXT in page and "wait 1 second " in page and "Retry-After" in responses[-1].headers


def test_the_wait_doubles_with_each_failure_up_to_the_cap(app, browser, make_user, session, clock):
    make_user(email="doubling@example.org")
    waits = []
    for _ in range(16):
        assert guess(browser, "doubling@example.org").status_code == 200
        waits.append(throttle.seconds_to_wait(session, "Doubling@Example.org"))
        if waits[-1]:
            assert guess(browser, "doubling@example.org").status_code == 429
            clock.advance(waits[-1] - 1)
            assert guess(browser, "doubling@example.org").status_code == 429
            clock.advance(1)
    assert waits == [0] * 4 + [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert guess(browser, "doubling@example.org").status_code == 200
    assert "wait 15 minutes " in guess(browser, "doubling@example.org").get_data(as_text=True)
    assert app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"] == 900


def test_the_holder_gets_one_email_and_the_audit_log_a_row(browser, make_user, session, clock):
    user = make_user(email="warned@example.org")
    for _ in range(25):
        guess(browser, "warned@example.org")
        clock.advance(900)
    warnings = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "login_warning")).all()
    assert [(m.to_address, m.user_id) for m in warnings] == [("warned@example.org", user.id)]
    assert "10 times" in warnings[0].text_body and "/password/forgot" in warnings[0].text_body
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_throttled")).all()
    assert [(row.entity_type, row.entity_id, row.changes["failures"]) for row in rows] == [("users", user.id, 10)]


def test_an_unknown_address_is_answered_the_same_way_and_gets_no_email(browser, make_user, session, clock):
    make_user(email="known@example.org")

    def answers(email):
        return [
            (r.status_code, r.get_data(as_text=True).replace(email, "ADDRESS").count(WAIT_TEXT))
            for r in thirty_addresses_guess(browser, email)
        ]

    assert answers("known@example.org") == answers("nobody@example.org")
    last = guess(browser, "nobody@example.org").get_data(as_text=True)
    assert WAIT_TEXT in last and "nobody@example.org" in last  # the same page, with the address typed kept
    assert (
        session.scalar(
            select(func.count()).select_from(OutboundMessage).where(OutboundMessage.to_address == "nobody@example.org")
        )
        == 0
    )


def test_the_right_password_works_after_the_wait_and_clears_the_count(browser, make_user, clock):
    make_user(email="patient@example.org")
    for _ in range(6):
        guess(browser, "patient@example.org")
    assert guess(browser, "patient@example.org", password=PASSWORD).status_code == 429  # not even the right one
    clock.advance(2)
    assert guess(browser, "patient@example.org", password=PASSWORD).status_code == 302
    browser.logout()
    assert [guess(browser, "patient@example.org").status_code for _ in range(5)] == [200] * 5  # a fresh count


def test_a_password_reset_clears_the_count(browser, make_user, mailbox, clock):
    make_user(email="reset@example.org")
    for _ in range(8):
        guess(browser, "reset@example.org")
    assert guess(browser, "reset@example.org", password=PASSWORD).status_code == 429
    browser.post("/password/forgot", {"email": "reset@example.org"})
    link = mailbox.last_link("/password/reset/")
    assert (
        browser.post(link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}).status_code
        == 302
    )
    assert browser.login("reset@example.org", "a brand new passphrase").status_code == 302


def test_failed_two_step_codes_count_toward_the_same_account(browser, make_user, clock):
    make_user(role="admin", email="staff@example.org")
    assert guess(browser, "staff@example.org", password=PASSWORD).headers["Location"].endswith("/login/verify")
    codes = [guess(browser, "", url="/login/verify", code="000000").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert guess(browser, "staff@example.org", password=PASSWORD).status_code == 429  # the password step waits too


def test_failed_identity_checks_count_toward_the_same_account(browser, make_user, clock):
    make_user(email="reauth@example.org")
    browser.login("reauth@example.org")
    codes = [guess(browser, "", url="/account/confirm-identity").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    clock.advance(1)
    assert guess(browser, "", password=PASSWORD, url="/account/confirm-identity").status_code == 302
