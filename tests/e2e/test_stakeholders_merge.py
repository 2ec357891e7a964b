"""A committee member merges two records of one person, confirming after seeing both, in a real browser."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import login_as, screenshot


def test_committee_member_compares_two_records_then_merges_them(page, live_server):
    from crm.extensions import db
    from crm.stakeholders.services import save_person

    with live_server.app.app_context():
        ids = [
            save_person(
                db.session,
                None,
                full_name=name,
                title=title,
                organization_id=None,
                jurisdiction="ON",
                notes=notes,
                emails=[("work", "kwame@oma.example")],
                phones=phones,
                tags=[],
            ).id
            for name, title, notes, phones in (
                ("Kwame Mensah", "Director", "Met at the OMA forum.", []),
                ("Dr Kwame Mensah", None, "Prefers phone calls.", [("mobile", "416-555-0199")]),
            )
        ]
        db.session.commit()
        db.session.remove()
    keep, duplicate = ids
    login_as(page, live_server, "committee", email="merger@example.org")
    page.goto(f"{live_server.url}/directory/people/{keep}")
    expect(page.get_by_role("heading", name="Possible duplicates")).to_be_visible()
    page.get_by_role("link", name="Merge into this record").click()

    expect(page.get_by_role("heading", name="Merge two records")).to_be_visible()
    expect(page.get_by_role("region", name="Removed: Dr Kwame Mensah #" + str(duplicate))).to_contain_text(
        "416-555-0199"
    )
    violations = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == []
    screenshot(page, "stakeholders-05-merge-confirm")
    page.get_by_role("link", name="Keep Dr Kwame Mensah instead").click()
    expect(page.get_by_role("region", name="Kept: Dr Kwame Mensah #" + str(duplicate))).to_be_visible()
    page.get_by_role("link", name="Cancel").click()  # nothing happens until confirmed
    page.goto(f"{live_server.url}/directory/people/{keep}")
    page.get_by_role("link", name="Merge into this record").click()
    page.get_by_role("button", name="Merge Dr Kwame Mensah into Kwame Mensah").click()

    expect(page.get_by_text("The two records are merged")).to_be_visible()
    expect(page.get_by_role("heading", name="Possible duplicates")).to_have_count(0)
    expect(page.get_by_role("link", name="416-555-0199")).to_be_visible()
    # inner_text follows the stylesheet (pre-line keeps the paragraphs): under load it can be read before it applies
    expect(page.locator(".notes")).to_have_css("white-space", "pre-line")
    assert page.locator(".notes").inner_text() == "Met at the OMA forum.\n\nPrefers phone calls."
    assert page.goto(f"{live_server.url}/directory/people/{duplicate}").status == 404
