"""axe-core in real Chromium: no serious or critical violations on the pages people use."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import login_as, screenshot

PUBLIC_PAGES = ["/", "/join", "/login", "/password/forgot", "/confirm"]
MEMBER_PAGES = ["/home", "/password/change", "/account/two-step"]
ADMIN_PAGES = ["/admin/users"]


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _check(page, base, paths):
    problems = {}
    for path in paths:
        page.goto(base + path)
        found = _serious(page)
        if found:
            problems[path] = found
    return problems


def test_public_pages_have_no_serious_accessibility_violations(page, live_server):
    assert _check(page, live_server.url, PUBLIC_PAGES) == {}


def test_member_pages_have_no_serious_accessibility_violations(page, live_server):
    login_as(page, live_server, "member")
    assert _check(page, live_server.url, MEMBER_PAGES) == {}


def test_admin_pages_have_no_serious_accessibility_violations(page, live_server):
    login_as(page, live_server, "admin")
    assert _check(page, live_server.url, ADMIN_PAGES) == {}
    screenshot(page, "a11y-admin-users")


def test_join_form_errors_are_announced_and_tied_to_their_fields(page, live_server):
    page.goto(live_server.url + "/join")
    page.get_by_role("button", name="Join ITPO").click()  # browser validation would stop an empty form
    page.evaluate("document.querySelector('form').noValidate = true")
    page.get_by_role("button", name="Join ITPO").click()
    postal = page.get_by_label("Postal code")
    assert postal.get_attribute("aria-invalid") == "true"
    described = postal.get_attribute("aria-describedby")
    assert "postal_code-error" in described
    assert _serious(page) == []


@pytest.mark.parametrize("path", ["/", "/join", "/login"])
def test_pages_work_by_keyboard_alone(page, live_server, path):
    """Tab reaches the skip link first, and every interactive element can take focus in order."""
    page.goto(live_server.url + path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.tagName"))
    assert {"A"} <= seen
