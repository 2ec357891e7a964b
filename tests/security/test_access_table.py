"""One access table covers every route; each role gets what the table says and nothing more."""

import pytest

from crm.auth.access import ACCESS, ANYONE_LOGGED_IN, PUBLIC
from crm.auth.models import ROLES
from tests.security.conftest import concrete_url, log_in_as, table_allows


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ACCESS))
    assert not missing, f"add these endpoints to ACCESS in crm/auth/access.py: {missing}"


def test_every_access_rule_names_known_roles():
    for endpoint, rule in ACCESS.items():
        assert rule in (PUBLIC, ANYONE_LOGGED_IN) or (isinstance(rule, tuple) and set(rule) <= set(ROLES)), endpoint


def test_roles_are_exactly_the_four_named():
    assert ROLES == ("member", "committee", "lead", "admin")


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_reaches_exactly_the_routes_the_table_allows(app, browser, make_user, role):
    """Walk every GET route as this role: refused routes answer 403 (or the login page), allowed ones never do."""
    log_in_as(browser, make_user, role)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static"):
            continue
        if rule.endpoint == "auth.logout":
            continue
        url = concrete_url(rule)
        response = browser.get(url)
        allowed = table_allows(ACCESS[rule.endpoint], role)
        if allowed:
            assert response.status_code not in (401, 403), (role, url, response.status_code)
            assert not (response.status_code == 302 and "/login?next" in response.headers["Location"]), (role, url)
        elif role is None:
            assert response.status_code in (302, 401), (role, url, response.status_code)
        else:
            assert response.status_code == 403, (role, url, response.status_code)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_state_changing_routes_are_refused_to_roles_the_table_excludes(app, browser, make_user, role):
    log_in_as(browser, make_user, role)
    token = browser.token("/login")
    for rule in app.url_map.iter_rules():
        if not (rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            continue
        if table_allows(ACCESS[rule.endpoint], role):
            continue
        response = browser.client.post(concrete_url(rule), data={"csrf_token": token})
        assert response.status_code in ((302, 401) if role is None else (403,)), (role, rule.rule)


def test_members_cannot_open_the_admin_pages(browser, make_user):
    make_user(email="member@example.org")
    browser.login("member@example.org")
    assert browser.get("/admin/users").status_code == 403


def test_anonymous_api_calls_to_protected_routes_get_json_not_a_login_page(app):
    from crm.auth.access import enforce_access  # noqa: F401  (the guard answers JSON under /api)

    protected = [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and ACCESS[rule.endpoint] != PUBLIC
    ]
    client = app.test_client()
    for rule in protected:
        response = client.get(concrete_url(rule))
        assert response.is_json and response.status_code == 401
