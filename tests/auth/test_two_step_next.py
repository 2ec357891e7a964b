"""A staff member sent to set up or enter two-step verification comes back to where they were going; the way
back travels signed in the link and the form, and only ever leads to a page of this site."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pyotp

from tests.conftest import PASSWORD, csrf_from, next_totp_code

TARGET = "/directory/people?q=cpso"


def _query(location: str) -> dict:
    return parse_qs(urlsplit(location).query)


def _enrol(browser, url: str):
    """The setup page as a person uses it: read the key shown, answer with its code (the form posts back to `url`)."""
    page = browser.get(url).get_data(as_text=True)
    secret = re.search(r"Key: <code[^>]*>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    fields = dict(re.findall(r'<input type="hidden" name="(next)" value="([^"]*)"', page))
    data = {"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page), **fields}
    return page, browser.post(url, data)


def test_staff_sent_to_set_up_two_step_come_back_to_the_page_they_were_going_to(browser, make_user):
    make_user(role="committee", email="new@example.org", mfa=False)
    browser.login("new@example.org")
    sent_away = browser.get(TARGET)
    assert sent_away.status_code == 302 and urlsplit(sent_away.headers["Location"]).path == "/account/two-step"
    token = _query(sent_away.headers["Location"])["next"][0]
    assert TARGET not in token  # signed, not the bare path
    page, done = _enrol(browser, sent_away.headers["Location"])
    assert f'name="next" value="{token}"' in page  # carried in the form too
    codes_page = done.get_data(as_text=True)
    assert "Two-step verification is on" in codes_page
    assert 'href="/directory/people?q=cpso">I have saved them: continue' in codes_page
    assert browser.get(TARGET).status_code == 200


def test_the_way_back_survives_a_form_posted_without_the_query_string(browser, make_user):
    """The hidden field alone brings them back (e.g. a form whose action dropped the query string)."""
    make_user(role="lead", email="lead.new@example.org", mfa=False)
    browser.login("lead.new@example.org")
    location = browser.get(TARGET).headers["Location"]
    page = browser.get(location).get_data(as_text=True)
    secret = re.search(r"Key: <code[^>]*>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    done = browser.post(
        "/account/two-step",
        {"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page), "next": _query(location)["next"][0]},
    )
    assert 'href="/directory/people?q=cpso">I have saved them: continue' in done.get_data(as_text=True)


def test_a_forged_or_foreign_next_on_the_setup_page_leads_home(app, browser, make_user):
    from crm.auth.tokens import sign_next

    make_user(role="committee", email="forger@example.org", mfa=False)
    browser.login("forger@example.org")
    with app.test_request_context():
        offsite = sign_next("https://evil.example/steal")
        protocol_relative = sign_next("//evil.example/")
    for bad in ("/directory/people", "not-a-token", offsite, protocol_relative):
        page, done = _enrol(browser, f"/account/two-step?next={bad}")
        codes_page = done.get_data(as_text=True)
        assert "Two-step verification is on" in codes_page
        assert 'href="/home">I have saved them</a>' in codes_page, bad
        assert "evil.example" not in codes_page


def test_staff_logging_in_with_two_step_land_on_the_page_they_asked_for(app, browser, make_user):
    make_user(role="committee", email="c2@example.org")
    asked = browser.get(TARGET)
    assert asked.status_code == 302 and urlsplit(asked.headers["Location"]).path == "/login"
    login = browser.post("/login", {"email": "c2@example.org", "password": PASSWORD, "next": TARGET})
    verify_url = login.headers["Location"]
    assert urlsplit(verify_url).path == "/login/verify" and "next" in _query(verify_url)
    page = browser.get(verify_url).get_data(as_text=True)
    token = _query(verify_url)["next"][0]
    assert f'name="next" value="{token}"' in page
    done = browser.post(
        verify_url, {"code": next_totp_code(app, "c2@example.org"), "next": token, "csrf_token": csrf_from(page)}
    )
    assert done.status_code == 302 and done.headers["Location"] == TARGET


def test_the_signed_next_wins_over_a_session_that_lost_it(app, browser, make_user):
    """The link carries the way back: it does not depend on what the session remembered."""
    make_user(role="committee", email="c3@example.org")
    login = browser.post("/login", {"email": "c3@example.org", "password": PASSWORD, "next": TARGET})
    verify_url = login.headers["Location"]
    with browser.client.session_transaction() as stored:
        stored["mfa_pending"] = {**stored["mfa_pending"], "next": None}
    page = browser.get(verify_url).get_data(as_text=True)
    done = browser.post(
        "/login/verify",
        {
            "code": next_totp_code(app, "c3@example.org"),
            "next": _query(verify_url)["next"][0],
            "csrf_token": csrf_from(page),
        },
    )
    assert done.headers["Location"] == TARGET


def test_a_tampered_next_on_the_code_page_is_ignored(app, browser, make_user):
    make_user(role="committee", email="c4@example.org")
    login = browser.post("/login", {"email": "c4@example.org", "password": PASSWORD})
    assert urlsplit(login.headers["Location"]).path == "/login/verify" and not _query(login.headers["Location"])
    page = browser.get("/login/verify").get_data(as_text=True)
    done = browser.post(
        "/login/verify",
        {"code": next_totp_code(app, "c4@example.org"), "next": "//evil.example/", "csrf_token": csrf_from(page)},
    )
    assert done.headers["Location"] == "/home"


def test_an_expired_second_step_sends_back_to_login_keeping_the_way_back(app, browser, make_user):
    make_user(role="committee", email="c5@example.org")
    login = browser.post("/login", {"email": "c5@example.org", "password": PASSWORD, "next": TARGET})
    verify_url = login.headers["Location"]
    with browser.client.session_transaction() as stored:
        stored["mfa_pending"] = {**stored["mfa_pending"], "at": 0}  # long ago
    again = browser.get(verify_url)
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == "/login"
    assert _query(again.headers["Location"])["next"] == [TARGET]
