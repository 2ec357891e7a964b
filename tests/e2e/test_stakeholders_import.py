"""A committee member imports a contact sheet: preview first, then apply, in a real browser."""

from playwright.sync_api import expect

from tests.e2e.conftest import ON_RIDING, login_as, screenshot

SHEET = (
    "name,title,organization,email,jurisdiction,tags,notes\n"
    "Ana Registrar,Registrar,College of Physicians and Surgeons of Ontario,ana@cpso.example,ON,regulator,\n"
    'Raj Patel,Director,New Ally Org,raj@ally.example,CA,ally;media,"Met at the forum.\nCall back in May."\n'
)


def test_committee_member_previews_then_applies_an_import(page, live_server, tmp_path):
    login_as(page, live_server, "committee", email="importer@example.org")
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    base = live_server.url

    page.goto(base + "/directory/import")
    page.get_by_label("File (CSV or XLSX, at most 10 MB)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: 2 to create, 0 to update, 0 unchanged")).to_be_visible()
    expect(page.get_by_role("table", name="What each row does")).to_contain_text("Raj Patel")
    screenshot(page, "stakeholders-01-import-preview")

    page.goto(base + "/directory/people?q=raj")
    expect(page.get_by_text("0 people")).to_be_visible()  # the preview changed nothing

    page.goto(base + "/directory/import")
    page.get_by_label("File (CSV or XLSX, at most 10 MB)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("heading", name="Imported: 2 created, 0 updated, 0 unchanged")).to_be_visible()

    page.goto(base + "/directory/people?q=raj")
    page.get_by_role("link", name="Raj Patel").click()
    expect(page.get_by_role("heading", name="Raj Patel")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".notes")).to_have_css("white-space", "pre-line")  # inner_text follows the stylesheet
    assert page.locator(".notes").inner_text() == "Met at the forum.\nCall back in May."  # line breaks shown
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.get_by_role("button", name="Copy raj@ally.example").click()
    expect(page.locator("#copy-status")).to_have_text("Copied raj@ally.example")  # said to screen readers too
    expect(page.locator("#copy-status")).to_have_attribute("aria-live", "polite")
    screenshot(page, "stakeholders-02-person")
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_an_import_previewed_before_someone_else_edited_the_directory_is_previewed_again(page, live_server, tmp_path):
    from crm.extensions import db
    from crm.stakeholders.services import save_person

    login_as(page, live_server, "committee", email="second-importer@example.org")
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(
        "name,title,email,jurisdiction\nMei Okafor,Registrar,mei@college.example,ON\n"
        "Luis Haddad,Dean,luis@school.example,BC\n",
        encoding="utf-8",
    )
    page.goto(live_server.url + "/directory/import")
    page.get_by_label("File (CSV or XLSX, at most 10 MB)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: 2 to create, 0 to update, 0 unchanged")).to_be_visible()

    with live_server.app.app_context():  # meanwhile a colleague adds Mei by hand
        save_person(
            db.session,
            None,
            full_name="Mei Okafor",
            title=None,
            organization_id=None,
            jurisdiction="ON",
            notes=None,
            emails=[("work", "mei@college.example")],
            phones=[],
            tags=[],
        )
        db.session.commit()
        db.session.remove()

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status").filter(has_text="The directory changed after your preview")).to_be_visible()
    expect(page.get_by_role("heading", name="Preview: 1 to create, 1 to update, 0 unchanged")).to_be_visible()
    expect(page.get_by_role("table", name="What each row does")).to_contain_text("title → Registrar")
    screenshot(page, "stakeholders-03-import-previewed-again")
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("heading", name="Imported: 1 created, 1 updated, 0 unchanged")).to_be_visible()
    page.goto(live_server.url + "/directory/people?q=okafor")
    expect(page.get_by_text("1 person")).to_be_visible()


def test_a_roster_previewed_before_an_office_was_edited_is_previewed_again(page, live_server, tmp_path):
    """An admin refreshes the roster after a by-election; a colleague edits an office meanwhile: the apply shows
    the new difference instead of applying the old one, and the second confirmation applies it."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.reference.models import ElectoralDistrict
    from crm.stakeholders.models import ElectedOffice
    from tests.stakeholders.uploads import roster_csv

    def by_election(rows):
        rows[0].update(mpp_name="New Member", party="Green Party of Ontario", email="new.member@ola.example")
        rows[1]["party"] = "Independent"

    roster = tmp_path / "roster.csv"
    roster.write_bytes(roster_csv(by_election))

    login_as(page, live_server, "admin", email="roster-admin@example.org")
    page.goto(live_server.url + "/directory/roster")
    page.get_by_label("File (CSV or XLSX, at most 10 MB)").set_input_files(str(roster))
    page.get_by_role("button", name="Upload and preview").click()
    expect(
        page.get_by_role("heading", name="Differences: 1 new, 1 changed, 1 left, 0 vacant, 122 unchanged")
    ).to_be_visible()

    with live_server.app.app_context():  # meanwhile a colleague records district 2's party change by hand
        office = db.session.scalar(
            select(ElectedOffice)
            .join(ElectoralDistrict)
            .where(ElectoralDistrict.number == 2, ON_RIDING, ElectedOffice.current.is_(True))
        )
        office.party = "Independent"
        db.session.commit()
        db.session.remove()

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status").filter(has_text="The directory changed after your preview")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Differences: 1 new, 0 changed, 1 left, 0 vacant, 123 unchanged")
    ).to_be_visible()
    screenshot(page, "stakeholders-04-roster-previewed-again")
    page.get_by_role("button", name="Apply these changes").click()
    expect(
        page.get_by_role("heading", name="Applied: 1 new, 0 changed, 1 left, 0 vacant, 123 unchanged")
    ).to_be_visible()
