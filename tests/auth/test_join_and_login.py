"""Joining, confirming, logging in and out, resetting and changing passwords."""

from sqlalchemy import select

from crm.auth.models import User
from crm.members.models import ConsentRecord, MemberProfile
from tests.conftest import PASSWORD

JOIN = {
    "full_name": "Amina Okafor",
    "email": "Amina@Example.org",
    "password": PASSWORD,
    "postal_code": "m5v 3l9",
    "province": "ON",
    "licensure_stage": "pra",
    "training_country": "Nigeria",
    "specialty": "Family medicine",
    "graduation_year": "2012",
}


def join(browser, **changes):
    return browser.post("/join", {**JOIN, **changes})


def test_a_new_member_joins_confirms_by_email_and_logs_in(browser, mailbox, session):
    response = join(browser)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    user = session.scalar(select(User).where(User.email == "amina@example.org"))
    assert user.role == "member" and user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")
    profile = session.scalar(select(MemberProfile).where(MemberProfile.user_id == user.id))
    assert profile.postal_code == "M5V 3L9" and profile.district.name == "Spadina—Fort York"
    assert profile.licensure_stage == "pra" and profile.graduation_year == 2012

    # Not confirmed yet: logging in sends a fresh link instead.
    response = browser.login("amina@example.org", follow_redirects=True)
    assert "confirm your email first" in response.get_data(as_text=True)

    link = mailbox.last_link("/confirm/")
    assert "confirmed" in browser.get(link, follow_redirects=True).get_data(as_text=True)
    response = browser.login("AMINA@example.org", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Welcome, Amina Okafor" in page and "Your profile" in page


def test_consent_is_unticked_by_default_and_recorded_either_way(browser, session):
    page = browser.get("/join").get_data(as_text=True)
    assert 'name="consent_email"' in page and "checked" not in page.split('name="consent_email"')[1][:40]
    join(browser)
    join(browser, email="second@example.org", consent_email="y")
    records = session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [r.granted for r in records] == [False, True]
    assert all(r.wording_version and r.source == "join_form" and r.created_at and "email" in r.wording for r in records)


def test_joining_twice_with_the_same_email_says_so(browser):
    join(browser)
    response = join(browser, email="amina@EXAMPLE.org")
    assert response.status_code == 200
    assert "An account with this email already exists" in response.get_data(as_text=True)


def test_malformed_postal_code_email_and_weak_password_get_field_errors(browser, session):
    response = join(browser, postal_code="12345", email="not-an-email", password="password1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "postal code" in page and "Enter an email address like" in page
    assert session.scalar(select(User)) is None


def test_common_and_short_passwords_are_refused_but_long_ones_are_fine(browser, session):
    assert "most common" in join(browser, password="iloveyou").get_data(as_text=True)
    assert "at least 8" in join(browser, password="short").get_data(as_text=True) or "8 to" in join(
        browser, password="short"
    ).get_data(as_text=True)
    long_password = "a sentence I will remember " * 4
    assert join(browser, password=long_password).status_code == 302


def test_postal_code_from_another_province_must_match_the_province(browser):
    response = join(browser, postal_code="V6B 1A1", province="ON")
    assert "British Columbia" in response.get_data(as_text=True)


def test_login_answers_the_same_for_unknown_email_and_wrong_password(browser, make_user):
    make_user(email="known@example.org")
    unknown = browser.login("nobody@example.org").get_data(as_text=True)
    wrong = browser.login("known@example.org", "wrong password!").get_data(as_text=True)
    message = "That email and password do not match an active account."
    assert message in unknown and message in wrong


def test_the_local_admin_that_make_run_creates_logs_in_with_its_password_file(app, browser, runner):
    """`make run` runs `crm ensure-admin`, whose address is under `.local`, a domain the sign-up form refuses."""
    from pathlib import Path

    result = runner.invoke(args=["crm", "ensure-admin"])
    assert result.exit_code == 0, result.output
    email, password = (Path(app.instance_path) / "admin_password.txt").read_text().split()
    assert email == "admin@itpo.local"
    response = browser.login(email, password)
    assert response.status_code == 302 and not response.headers["Location"].endswith("/login")  # logged in


def test_login_still_asks_for_an_address_with_an_at_sign(browser):
    html = browser.post("/login", {"email": "no-at-sign", "password": "x"}).get_data(as_text=True)
    assert "Enter an email address like name@example.com." in html


def test_login_ignores_an_offsite_next_parameter(browser, make_user):
    make_user(email="m@example.org")
    response = browser.post(
        "/login?next=https://evil.example/",
        {"email": "m@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"].endswith("/home")


def test_password_reset_by_link_then_old_link_and_old_sessions_are_void(app, browser, mailbox, make_user):
    from tests.conftest import Browser

    make_user(email="reset@example.org")
    other_device = Browser(app.test_client())
    other_device.login("reset@example.org")
    response = browser.post("/password/forgot", {"email": "reset@example.org"}, follow_redirects=True)
    same_answer = browser.post("/password/forgot", {"email": "ghost@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert "If an account uses that address" in same_answer.get_data(as_text=True)
    link = mailbox.last_link("/password/reset/")
    assert len(mailbox.sent) == 1  # nothing went to the unknown address
    new = "a brand new passphrase"
    response = browser.post(link, {"password": new, "confirm": new})
    assert response.headers["Location"].endswith("/login")
    assert other_device.get("/home").status_code == 302
    assert "already used" in browser.get(link, follow_redirects=True).get_data(as_text=True)
    assert browser.login("reset@example.org", new).headers["Location"].endswith("/home")


def test_change_password_keeps_this_device_and_ends_the_others(app, browser, make_user):
    from tests.conftest import Browser

    make_user(email="change@example.org")
    other = Browser(app.test_client())
    other.login("change@example.org")
    browser.login("change@example.org")
    wrong = browser.post(
        "/password/change",
        {"current_password": "not it at all", "password": "fresh passphrase 1", "confirm": "fresh passphrase 1"},
    )
    assert "not your current password" in wrong.get_data(as_text=True)
    response = browser.post(
        "/password/change",
        {"current_password": PASSWORD, "password": "fresh passphrase 1", "confirm": "fresh passphrase 1"},
    )
    assert response.headers["Location"].endswith("/home")
    assert browser.get("/home").status_code == 200
    assert other.get("/home").status_code == 302


def test_expired_or_forged_confirmation_link_is_refused_kindly(browser):
    response = browser.get("/confirm/not-a-real-token", follow_redirects=True)
    assert "invalid or has expired" in response.get_data(as_text=True)
