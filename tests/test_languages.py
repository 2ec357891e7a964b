"""English and French (issue 25): which language a page is in, the EN | FR switch, and French without its .mo."""

import re

import pytest

from crm.auth.models import User
from crm.extensions import db


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_visitor_sees_english_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert _lang(response) == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("fr-CA,fr;q=0.9,en;q=0.5", "fr"), ("fr", "fr"), ("en-CA,fr;q=0.3", "en"), ("de-DE,es;q=0.8", "en"), ("", "en")],
)
def test_the_first_visit_follows_the_browser(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})
    assert _lang(response) == expected


def test_the_switch_keeps_a_visitor_s_choice_in_a_cookie_and_returns_to_the_page(browser):
    page = browser.get("/programs/").get_data(as_text=True)
    assert 'name="lang" value="fr"' in page and "Français" in page
    response = browser.post("/language", data={"lang": "fr", "next": "/programs/?x=1"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/programs/?x=1")
    assert "lang=fr" in response.headers["Set-Cookie"]
    french = browser.get("/", headers={"Accept-Language": "en"})
    assert _lang(french) == "fr"
    assert "Plaidoyer" in french.get_data(as_text=True)


@pytest.mark.parametrize("code", ["xx", "", "fr'><script>", "e" * 5000, "klingon-KL"])
def test_an_unknown_language_code_falls_back_to_english(browser, code):
    response = browser.post("/language", data={"lang": code, "next": "/"}, page="/")
    assert response.status_code == 302
    browser.client.set_cookie("lang", code[:100])
    assert _lang(browser.get("/")) == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "javascript:alert(1)", ""])
def test_the_switch_returns_only_to_a_same_site_page(browser, target):
    response = browser.post("/language", data={"lang": "fr", "next": target}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_the_switch_needs_its_csrf_token(client):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400


def test_a_member_s_choice_is_kept_on_their_profile(browser, make_user, app):
    member = make_user(role="member")
    browser.login(member.email)
    browser.post("/language", data={"lang": "fr", "next": "/home"}, page="/")
    with app.app_context():
        assert db.session.get(User, member.id).language == "fr"
    browser.client.delete_cookie("lang")
    assert _lang(browser.get("/home", headers={"Accept-Language": "en"})) == "fr"


def test_without_the_compiled_catalogue_pages_are_english(app, tmp_path):
    from crm import create_app

    bare = create_app({**app.config, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})
    client = bare.test_client()
    client.set_cookie("lang", "fr")
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert _lang(response) == "en"
    assert 'value="fr"' not in response.get_data(as_text=True)
