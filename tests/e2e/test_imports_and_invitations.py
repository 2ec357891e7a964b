"""In a real browser: a contact sheet written with acronyms and comma-separated tags is matched to the
organizations already in the directory; an admin invites a lead, who opens the emailed link, chooses a password
and sets up two-step verification."""

import re

import pyotp
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login_as, screenshot
from tests.e2e.test_accessibility import _serious

SHEET = (
    "name,organization,email,jurisdiction,tags\n"
    'Ana Acronym,CPSO,ana.acronym@cpso.example,ON,"regulator,priority"\n'
    "Bo Ampersand,college of physicians & surgeons of ontario,bo.amp@cpso.example,ON,ally|media\n"
    "Cy Lookalike,College of Physicians and Surgeons Ontario,cy.look@cpso.example,ON,regulator\n"
)
COLLEGE = "College of Physicians and Surgeons of Ontario"


def test_an_import_with_acronyms_and_comma_tags_matches_the_organizations_already_here(page, live_server, tmp_path):
    login_as(page, live_server, "committee", email="acronym-importer@example.org")
    sheet = tmp_path / "acronyms.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    page.goto(live_server.url + "/directory/import")
    page.get_by_label("File (CSV or XLSX, at most 10 MB)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: 3 to create, 0 to update, 0 unchanged")).to_be_visible()
    expect(page.locator("#matched-organizations")).to_contain_text(f"CPSO → {COLLEGE} (CPSO, ON)")
    expect(page.locator("#new-organizations")).to_have_count(0)
    preview = page.get_by_role("table", name="What each row does")
    expect(preview.get_by_role("row").filter(has_text="Ana Acronym")).to_contain_text("regulator, priority")
    expect(preview.get_by_role("row").filter(has_text="Bo Ampersand")).to_contain_text("ally, media")
    offer = page.get_by_label("“College of Physicians and Surgeons Ontario” looks like an organization already here:")
    expect(offer.locator("option:checked")).to_contain_text(f"Use {COLLEGE}")
    screenshot(page, "imports-01-matched-preview")
    assert _serious(page) == []
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("heading", name="Imported: 3 created, 0 updated, 0 unchanged")).to_be_visible()

    from sqlalchemy import func, select

    from crm.extensions import db
    from crm.stakeholders.models import Organization, Person

    with live_server.app.app_context():
        colleges = db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.name.ilike("%surgeons%ontario%"))
        )
        people = db.session.execute(
            select(Person.full_name, Organization.name)
            .join(Organization, Organization.id == Person.organization_id)
            .where(Person.full_name.in_(["Ana Acronym", "Bo Ampersand", "Cy Lookalike"]))
        ).all()
        db.session.remove()
    assert colleges == 1 and {org for _, org in people} == {COLLEGE} and len(people) == 3
    page.goto(live_server.url + "/directory/people?q=ana+acronym")
    page.get_by_role("link", name="Ana Acronym").click()
    expect(page.get_by_role("link", name=COLLEGE)).to_be_visible()


def _mail_link(page, base: str, address: str, subject: str, fragment: str) -> str:
    """The link in the newest mail to `address` in the development mailbox (the worker delivers it shortly)."""
    mine = page.get_by_role("row").filter(has_text=address)
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.count():
            break
        page.wait_for_timeout(200)
    mine.first.get_by_role("link", name=subject).click()
    return page.locator(f'a[href*="{fragment}"]').first.get_attribute("href")


def test_an_admin_invites_a_lead_who_sets_a_password_and_two_step(page, chromium, live_server):
    base = live_server.url
    login_as(page, live_server, "admin", email="inviting-admin@example.org")
    page.goto(base + "/admin/users")
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Email").fill("new.lead@example.org")
    page.get_by_label("Name (optional)").fill("Nadia Lead")
    page.get_by_label("Role").select_option("lead")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to new.lead@example.org as lead.")).to_be_visible()
    expect(page.get_by_role("table", name="Invitations, newest first")).to_contain_text("new.lead@example.org")
    link = _mail_link(page, base, "new.lead@example.org", "You are invited to the ITPO CRM", "/invitation/")

    context = chromium.new_context(viewport={"width": 390, "height": 844})
    guest = context.new_page()
    try:
        guest.goto(link)
        expect(guest.get_by_role("heading", name="Open your account")).to_be_visible()
        expect(guest.get_by_label("Your name")).to_have_value("Nadia Lead")
        assert _serious(guest) == []
        guest.get_by_label("Choose a password").fill(PASSWORD)
        guest.get_by_label("Repeat the password").fill(PASSWORD)
        guest.get_by_role("button", name="Open my account").click()
        expect(guest.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
        shown = guest.locator("code.mfa-key").inner_text()
        assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", shown), shown  # in groups of four
        screenshot(guest, "invitations-01-two-step-390")
        guest.get_by_label("Code from your app").fill(pyotp.TOTP(shown.replace(" ", "")).now())
        guest.get_by_role("button", name="Turn on two-step verification").click()
        expect(guest.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
        guest.get_by_role("link", name="I have saved them").click()
        expect(guest.get_by_role("heading", name="Welcome, Nadia Lead")).to_be_visible()

        guest.goto(link)  # the link worked once
        expect(guest.get_by_role("heading", name="This invitation has already been used")).to_be_visible()
    finally:
        context.close()
    page.goto(base + "/admin/invitations")
    expect(page.get_by_role("row").filter(has_text="new.lead@example.org")).to_contain_text("accepted")
    screenshot(page, "invitations-02-list-1280")
