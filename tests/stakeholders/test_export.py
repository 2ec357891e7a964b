"""Export of filtered lists to CSV and XLSX, with cells a spreadsheet would run as formulas neutralised."""

import csv
import io

from openpyxl import load_workbook


def test_people_export_follows_the_filters_and_neutralises_formulas(committee, make_person):
    make_person('=HYPERLINK("http://evil")', org="Evil Org", emails=["x@evil.example"], tags=["ally"])
    make_person("Plain Person", tags=["media"])
    response = committee.get("/directory/people/export?format=csv&tag=ally")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil")' and rows[0]["email"] == "x@evil.example"
    assert rows[0]["organization"] == "Evil Org" and rows[0]["tags"] == "ally"


def test_xlsx_export_holds_text_never_formulas(committee, make_person):
    make_person("@cmd", title="-10+20")
    response = committee.get("/directory/people/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "name"
    assert rows[1][0] == "'@cmd" and rows[1][1] == "'-10+20"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_round_trips_through_import(committee, make_person, store):
    from crm.stakeholders.files import read_table
    from crm.stakeholders.imports import import_stakeholders

    make_person(
        "Round Trip",
        org="Some College",
        emails=["rt@example.org"],
        phones=["416-555-0199"],
        tags=["a", "b"],
        jurisdiction="ON",
        title="Registrar",
    )
    data = committee.get("/directory/people/export?format=xlsx").data
    report = import_stakeholders(store, read_table("export.xlsx", data), apply=False)
    assert report.errors == [] and report.counts == {"create": 0, "update": 0, "skip": 1}


def test_organizations_export(committee, make_person):
    make_person("Someone", org="+Plus Org")
    response = committee.get("/directory/organizations/export?format=csv")
    text = response.get_data(as_text=True)
    assert "'+Plus Org" in text and text.lstrip("\ufeff").startswith("name,acronym,kind")


def test_an_unknown_export_format_is_refused_not_answered_with_a_csv(committee):
    response = committee.get("/directory/people/export?format=pdf")
    assert response.status_code == 400 and "Choose the format csv or xlsx." in response.get_data(as_text=True)
    assert committee.get("/directory/organizations/export?format=").status_code == 200  # none given: CSV


def test_a_list_page_asked_for_with_a_bad_page_number_says_what_to_fix(committee):
    response = committee.get("/directory/people?page=abc")
    assert response.status_code == 400 and "&#39;page&#39; must be a whole number." in response.get_data(as_text=True)
