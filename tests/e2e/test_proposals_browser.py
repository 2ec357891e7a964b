"""In a real browser: the committee publishes Ontario's v1 and v2, then compares them."""

from tests.e2e.conftest import login_as, screenshot


def _save_draft(page, body: str, summary: str) -> None:
    page.get_by_label("Proposal text (Markdown)").fill(body)
    page.get_by_label("What changed since the previous version").fill(summary)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved the draft").wait_for()


def test_committee_publishes_two_versions_and_compares_them_in_a_browser(page, live_server):
    page.set_default_timeout(15_000)
    login_as(page, live_server, "committee", email="proposals.committee@example.org")
    page.get_by_role("link", name="Proposals (committee)").click()

    page.get_by_label("Province or territory", exact=True).select_option(label="Ontario")
    page.get_by_role("button", name="Create proposal").click()
    _save_draft(page, "# Ontario\n\nWe ask for 50 PRA spots a year.\n\nThank you.", "First version.")
    page.get_by_role("button", name="Publish v1").click()
    page.get_by_text("Published version 1").wait_for()

    page.get_by_role("button", name="Start a new version").click()
    assert "We ask for 50 PRA spots a year." in page.get_by_label("Proposal text (Markdown)").input_value()
    _save_draft(
        page,
        "# Ontario\n\nWe ask for 100 PRA spots a year.\n\nThank you.\n\nA new closing line.",
        "Doubled the ask; added a closing line.",
    )
    page.get_by_role("button", name="Publish v2").click()
    page.get_by_text("Published version 2").wait_for()

    page.get_by_role("link", name="Compare with v1").click()
    assert page.locator("table.diff del").first.inner_text() == "50"
    assert page.locator("table.diff ins").first.inner_text() == "100"
    assert "A new closing line." in page.locator("tr.diff-insert").last.inner_text()
    assert "2 lines added, 0 removed, 1 changed." in page.locator("#diff-summary").inner_text()

    page.goto(live_server.url + "/proposals/ontario")
    screenshot(page, "proposals-public-ontario")
    assert "We ask for 100 PRA spots a year." in page.locator("article").inner_text()
