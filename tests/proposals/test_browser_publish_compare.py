"""In a real browser: the committee publishes Ontario's v1 and v2, then compares them."""
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH)")]
# Chromium flags for a closed network and a root user (see the machine notes): no background traffic, no sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    """The test app on an ephemeral localhost port, for as long as the test runs."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=live_server)
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _save_draft(page, body: str, summary: str) -> None:
    page.get_by_label("Proposal text (Markdown)").fill(body)
    page.get_by_label("What changed since the previous version").fill(summary)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved the draft").wait_for()


def test_committee_publishes_two_versions_and_compares_them_in_a_browser(page, make_user):
    member = make_user("committee", email="committee@example.org")
    page.goto("/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Proposals (committee)").click()

    page.get_by_label("Province or territory", exact=True).select_option(label="Ontario")
    page.get_by_role("button", name="Create proposal").click()
    _save_draft(page, "# Ontario\n\nWe ask for 50 PRA spots a year.\n\nThank you.", "First version.")
    page.get_by_role("button", name="Publish v1").click()
    page.get_by_text("Published version 1").wait_for()

    page.get_by_role("button", name="Start a new version").click()
    assert "We ask for 50 PRA spots a year." in page.get_by_label("Proposal text (Markdown)").input_value()
    _save_draft(page, "# Ontario\n\nWe ask for 100 PRA spots a year.\n\nThank you.\n\nA new closing line.",
                "Doubled the ask; added a closing line.")
    page.get_by_role("button", name="Publish v2").click()
    page.get_by_text("Published version 2").wait_for()

    page.get_by_role("link", name="Compare with v1").click()
    assert page.locator("table.diff del").first.inner_text() == "50"
    assert page.locator("table.diff ins").first.inner_text() == "100"
    assert "A new closing line." in page.locator("tr.diff-insert").last.inner_text()
    assert "2 lines added, 0 removed, 1 changed." in page.locator("#diff-summary").inner_text()

    page.goto("/proposals/ontario")
    assert "We ask for 100 PRA spots a year." in page.locator("article").inner_text()
