"""An import matches the organizations already in the directory (by acronym, or a name written another way),
offers an existing organization for a new one that looks like it, and reads tags split by ; , or |."""

import io

import pytest
from sqlalchemy import func, select

from crm.stakeholders import services
from crm.stakeholders.files import read_table
from crm.stakeholders.imports import apply_saved_plan, import_stakeholders, saved_plan
from crm.stakeholders.models import Organization, Person
from tests.stakeholders.uploads import preview_token


def _org(store, name, acronym=None, jurisdiction="ON"):
    organization = services.save_organization(
        store, None, name=name, acronym=acronym, kind="regulator", jurisdiction=jurisdiction, website=None, notes=None
    )
    store.commit()
    return organization.id


def _count(store, model):
    return store.scalar(select(func.count()).select_from(model))


def _preview(store, text):
    report = import_stakeholders(store, read_table("s.csv", text.encode()), apply=False)
    store.rollback()
    return report


@pytest.fixture
def college(store):
    return _org(store, "College of Physicians and Surgeons of Ontario", "CPSO")


def test_an_acronym_in_the_sheet_matches_the_organization_that_has_it(store, college):
    report = import_stakeholders(store, read_table("s.csv", b"name,organization\nAna Registrar,CPSO\n"), apply=True)
    store.commit()
    assert report.new_organizations == []
    assert report.matched_organizations == ["CPSO → College of Physicians and Surgeons of Ontario (CPSO, ON)"]
    assert store.scalar(select(Person.organization_id).where(Person.full_name == "Ana Registrar")) == college
    assert _count(store, Organization) == 1


@pytest.mark.parametrize(
    "written",
    [
        "college of physicians & surgeons of ontario",
        "Collège of Physicians and Surgeons, of Ontario.",
        "C.P.S.O.",
        "cpso",
    ],
)
def test_a_name_written_with_other_case_accents_or_punctuation_matches(store, college, written):
    report = _preview(store, f'name,organization\nAna,"{written}"\n')
    assert report.errors == [] and report.new_organizations == []
    assert report.plan.organizations and set(report.plan.organizations.values()) == {college}


def test_an_acronym_two_provinces_share_is_a_row_error_naming_both_and_nothing_is_written(store):
    _org(store, "College of Physicians and Surgeons of Ontario", "CPS", "ON")
    _org(store, "College of Physicians and Surgeons of Saskatchewan", "CPS", "SK")
    people_before = _count(store, Person)
    report = import_stakeholders(
        store, read_table("s.csv", b"name,organization\nAna,Someone Else Org\nBo,CPS\n"), apply=True
    )
    store.rollback()
    assert not report.applied and len(report.errors) == 1
    row, message = report.errors[0]
    assert row == 3
    assert "College of Physicians and Surgeons of Ontario (CPS, ON)" in message
    assert "College of Physicians and Surgeons of Saskatchewan (CPS, SK)" in message
    assert _count(store, Person) == people_before and _count(store, Organization) == 2


def test_the_rows_jurisdiction_picks_between_organizations_sharing_an_acronym(store):
    _org(store, "College of Physicians and Surgeons of Ontario", "CPS", "ON")
    saskatchewan = _org(store, "College of Physicians and Surgeons of Saskatchewan", "CPS", "SK")
    report = _preview(store, "name,organization,jurisdiction\nBo,CPS,SK\n")
    assert report.errors == [] and set(report.plan.organizations.values()) == {saskatchewan}


@pytest.mark.parametrize(
    "cell", ["regulator,priority", "regulator; priority", "regulator | priority", "Regulator|priority,"]
)
def test_a_tags_cell_splits_on_semicolons_commas_and_bars_and_the_preview_shows_them(store, cell):
    report = _preview(store, f'name,tags\nAna,"{cell}"\n')
    assert report.rows[0].tags == "regulator, priority"
    import_stakeholders(store, read_table("s.csv", f'name,tags\nAna,"{cell}"\n'.encode()), apply=True)
    store.commit()
    ana = store.scalar(select(Person).where(Person.full_name == "Ana"))
    assert sorted(t.name for t in ana.tags) == ["priority", "regulator"]


def test_a_new_organization_that_looks_like_one_here_is_offered_and_can_be_used_instead(store, college):
    report = _preview(store, "name,organization\nAna,College of Physicians and Surgeons Ontario\n")
    assert report.new_organizations == ["College of Physicians and Surgeons Ontario"]
    assert report.look_alikes[0][2] == [[college, "College of Physicians and Surgeons of Ontario (CPSO, ON)"]]
    applied = apply_saved_plan(store, saved_plan(report), {0: college})
    store.commit()
    assert applied.applied and applied.new_organizations == []
    assert store.scalar(select(Person.organization_id).where(Person.full_name == "Ana")) == college
    assert _count(store, Organization) == 1


def test_keeping_a_look_alike_as_new_creates_it(store, college):
    report = _preview(store, "name,organization\nAna,College of Physicians and Surgeons Ontario\n")
    apply_saved_plan(store, saved_plan(report), {})
    store.commit()
    assert _count(store, Organization) == 2


def test_an_unrelated_new_organization_is_not_offered_a_look_alike(store, college):
    report = _preview(store, "name,organization\nAna,Ontario Nurses Union\n")
    assert report.look_alikes == [] and report.new_organizations == ["Ontario Nurses Union"]


def _upload(browser, data: bytes):
    token = browser.token("/directory/import")
    return browser.client.post(
        "/directory/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), "s.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def test_browser_preview_names_the_matched_college_and_offers_the_look_alike(committee, store, college):
    html = _upload(
        committee, b'name,organization,tags\nAna,CPSO,"regulator,priority"\nBo,Coll. Physicians Surgeons Ontario,\n'
    )
    assert "Matched to organizations already here: CPSO → College of Physicians and Surgeons of Ontario" in html
    assert "<td>regulator, priority</td>" in html
    assert "looks like an organization already here" in html and f'<option value="{college}" selected>' in html
    response = committee.post(
        "/directory/import", {"token": preview_token(html), "look_alike-0": str(college)}, page="/directory/import"
    )
    assert "Imported: 2 created" in response.get_data(as_text=True)
    assert _count(store, Organization) == 1


@pytest.mark.parametrize("choice", ["999999", "drop table", "-1"])
def test_browser_refuses_an_organization_the_preview_did_not_offer_and_applies_nothing(
    committee, store, college, choice
):
    html = _upload(committee, b"name,organization\nBo,Coll. Physicians Surgeons Ontario\n")
    response = committee.post(
        "/directory/import",
        {"token": preview_token(html), "look_alike-0": choice},
        page="/directory/import",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Upload the file again" in response.get_data(as_text=True) and _count(store, Person) == 0


def test_a_word_that_hundreds_of_organizations_share_does_not_make_them_look_alike(store):
    from crm.stakeholders.import_organizations import WORD_SHARED_BY_AT_MOST

    for n in range(WORD_SHARED_BY_AT_MOST + 1):
        store.add(Organization(name=f"Organization {n:05d}", kind="other"))
    store.commit()
    report = _preview(store, "name,organization\nAna,Organization 0000\n")
    assert report.look_alikes == [] and report.new_organizations == ["Organization 0000"]


def test_the_command_line_names_matched_and_look_alike_organizations(app, store, college, tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("name,organization\nAna,CPSO\nBo,College of Physicians and Surgeons Ontario\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["crm", "import-stakeholders", "--dry-run", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "matched organization: CPSO → College of Physicians and Surgeons of Ontario (CPSO, ON)" in result.output
    assert "new organization: College of Physicians and Surgeons Ontario (looks like College of" in result.output
