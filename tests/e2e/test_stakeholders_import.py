"""A committee member imports a contact sheet: preview first, then apply, in a real browser."""
from pathlib import Path

import pytest

if not (Path(__file__).parent / "conftest.py").exists():  # the live server and Chromium fixtures live there
    pytest.skip("browser fixtures (tests/e2e/conftest.py) not present", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.conftest import login_as, screenshot  # noqa: E402

SHEET = ("name,title,organization,email,jurisdiction,tags\n"
         "Ana Registrar,Registrar,College of Physicians and Surgeons of Ontario,ana@cpso.example,ON,regulator\n"
         "Raj Patel,Director,New Ally Org,raj@ally.example,CA,ally;media\n")


def test_committee_member_previews_then_applies_an_import(page, live_server, tmp_path):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    base = live_server.url
    login_as(page, live_server, "committee", "importer@example.org")

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
    expect(page.get_by_role("heading", name="Imported: 2 to create, 0 to update, 0 unchanged")).to_be_visible()

    page.goto(base + "/directory/people?q=raj")
    page.get_by_role("link", name="Raj Patel").click()
    expect(page.get_by_role("heading", name="Raj Patel")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    screenshot(page, "stakeholders-02-person")
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
