"""Importing a contact sheet: matching, preview, all-or-nothing apply, bad files, the CLI and the browser flow."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.stakeholders.files import read_table
from crm.stakeholders.imports import import_stakeholders
from crm.stakeholders.models import Organization, Person
from tests.stakeholders.uploads import preview_token

SHEET = (
    "Name,Title,Organization,Email,Phone,Jurisdiction,Tags,Notes\n"
    "Ana Registrar,Registrar,College of Physicians,ana@cpso.example,416-555-0101,ON,regulator;ally,met in May\n"
    "Raj Patel,Director,New Ally Org,raj@ally.example,,CA,ally,\n"
)


def _people(store):
    return store.scalar(select(func.count()).select_from(Person))


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_dry_run_previews_and_changes_nothing(store):
    report = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=False)
    store.rollback()
    assert report.errors == [] and report.counts == {"create": 2, "update": 0, "skip": 0}
    assert report.new_organizations == ["College of Physicians", "New Ally Org"]
    assert _people(store) == 0


def test_apply_creates_people_organizations_contacts_and_tags(store):
    report = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=True)
    store.commit()
    assert report.applied
    ana = store.scalar(select(Person).where(Person.full_name == "Ana Registrar"))
    assert ana.organization.name == "College of Physicians" and ana.jurisdiction.code == "ON"
    assert {(c.kind, c.value) for c in ana.contacts} == {("email", "ana@cpso.example"), ("phone", "416-555-0101")}
    assert [t.name for t in ana.tags] == ["ally", "regulator"]
    assert store.scalar(select(AuditEvent).where(AuditEvent.action == "import")).changes["create"] == 2


def test_each_imported_or_updated_person_has_their_own_audit_entry_with_before_and_after(store, make_person):
    ana = store.get(
        Person,
        make_person(
            "Ana Registrar", org="College of Physicians", emails=["old@cpso.example"], title="Deputy Registrar"
        ),
    )
    import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=True)
    store.commit()
    raj = store.scalar(select(Person).where(Person.full_name == "Raj Patel"))
    events = {
        (e.entity_id, e.action): e.changes
        for e in store.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "people", AuditEvent.changes["source"].as_string() == "import"
            )
        )
    }
    assert set(events) == {(ana.id, "update"), (raj.id, "create")}
    assert events[(ana.id, "update")]["title"] == ["Deputy Registrar", "Registrar"]
    assert events[(ana.id, "update")]["contacts_added"] == ["ana@cpso.example", "416-555-0101"]
    assert events[(raj.id, "create")]["full_name"] == [None, "Raj Patel"]
    assert events[(raj.id, "create")]["tags_added"] == ["ally"]


def test_a_sheets_notes_are_added_below_notes_written_by_hand_never_in_their_place(store, make_person):
    ana = store.get(Person, make_person("Ana Registrar", org="College of Physicians", emails=["ana@cpso.example"]))
    ana.notes = "Prefers email. Ask about the PRA pilot."
    store.commit()
    report = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=True)
    store.commit()
    assert "notes added" in report.rows[0].detail
    store.expire_all()
    assert ana.notes == "Prefers email. Ask about the PRA pilot.\n\nmet in May"
    again = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=False)
    assert again.rows[0].action == "skip"  # the same sheet again adds nothing
    event = store.scalar(
        select(AuditEvent).where(AuditEvent.entity_id == ana.id, AuditEvent.changes["source"].as_string() == "import")
    )
    assert event.changes["notes"] == [
        "Prefers email. Ask about the PRA pilot.",
        "Prefers email. Ask about the PRA pilot.\n\nmet in May",
    ]


def test_reimport_matches_on_email_then_name_and_organization(store, make_person):
    make_person("Ana Registrar", org="College of Physicians", emails=["old@cpso.example"])
    make_person("Someone", emails=["raj@ally.example"])
    report = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=True)
    store.commit()
    assert [(row.action, row.name) for row in report.rows] == [("update", "Ana Registrar"), ("update", "Raj Patel")]
    assert _people(store) == 2
    again = import_stakeholders(store, read_table("sheet.csv", SHEET.encode()), apply=False)
    assert again.counts == {"create": 0, "update": 0, "skip": 2}


def test_windows_1252_and_utf8_bom_files_are_read(store):
    text = "name,organization\nRené Lévesque,Collège des médecins\n"
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        rows = read_table("sheet.csv", data)
        assert rows == [{"name": "René Lévesque", "organization": "Collège des médecins"}]


def test_xlsx_is_read_by_header(store):
    rows = read_table("sheet.xlsx", _xlsx([["NAME", "Email"], ["Xu Li", "xu@example.org"]]))
    assert rows == [{"name": "Xu Li", "email": "xu@example.org"}]


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("sheet.csv", b"", "The file is empty"),
        ("sheet.csv", b"name,email\n", "no rows"),
        ("sheet.xlsx", b"this is not a spreadsheet", "not a readable Excel spreadsheet"),
        ("sheet.pdf", b"%PDF-1.4", "Choose a .csv or .xlsx file"),
        ("big.csv", b"name\n" + b"x" * (10 * 1024 * 1024 + 1), "the limit is 10 MB"),
    ],
)
def test_unreadable_files_get_a_clear_message(filename, data, message):
    from crm.lib.errors import ValidationError

    with pytest.raises(ValidationError) as error:
        read_table(filename, data)
    assert message in error.value.message


@pytest.mark.parametrize(
    "sheet, row, message",
    [
        ("title,email\nRegistrar,a@b.org\n", 1, "no 'name' column"),
        ("name,jurisdiction\nAna,ZZ\n", 2, "unknown jurisdiction 'ZZ'"),
        ("name,email\nAna,not-an-email\n", 2, "is not an email address"),
        ("name,email\nAna,a@b.org\nAnna,A@B.org\n", 3, "appears again (first on row 2)"),
        ("name,organization\nAna,CPSO\nana,cpso\n", 3, "appears again (first on row 2)"),
        ("name,email\n,a@b.org\n", 2, "the name is empty"),
    ],
)
def test_a_file_with_any_row_error_changes_nothing(store, sheet, row, message):
    good = "Good Person,good@example.org\n"
    report = import_stakeholders(store, read_table("s.csv", sheet.encode()), apply=True)
    store.rollback()
    assert any(number == row and message in text for number, text in report.errors), report.errors
    assert not report.applied and _people(store) == 0 and good


def test_cli_dry_run_then_apply(app, store, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "import-stakeholders", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "row 2: create Ana Registrar" in result.output and "Nothing was changed" in result.output
    assert _people(store) == 0
    result = runner.invoke(args=["crm", "import-stakeholders", str(path)])
    assert result.exit_code == 0 and "Imported: 2 created" in result.output
    assert _people(store) == 2


def test_cli_exits_non_zero_and_prints_row_errors(app, store, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("name,jurisdiction\nAna,ON\nBob,XX\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["crm", "import-stakeholders", str(path)])
    assert result.exit_code != 0
    assert "row 3: unknown jurisdiction 'XX'" in result.output and "nothing was imported" in result.output
    assert _people(store) == 0


def test_cli_refuses_a_broken_spreadsheet(app, tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    result = app.test_cli_runner().invoke(args=["crm", "import-stakeholders", str(path)])
    assert result.exit_code != 0 and "not a readable Excel spreadsheet" in result.output


def _upload(browser, data: bytes, filename: str):
    token = browser.token("/directory/import")
    return browser.client.post(
        "/directory/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_browser_preview_then_apply(committee, store):
    response = _upload(
        committee,
        _xlsx([["name", "organization", "email"], ["Ana Registrar", "College of Physicians", "ana@cpso.example"]]),
        "s.xlsx",
    )
    html = response.get_data(as_text=True)
    assert "Preview: 1 to create, 0 to update, 0 unchanged" in html and 'id="import-preview"' in html
    assert _people(store) == 0
    token = html.split('name="token" value="')[1].split('"')[0]
    response = committee.post("/directory/import", {"token": token}, page="/directory/import")
    assert "Imported: 1 created" in response.get_data(as_text=True)
    assert _people(store) == 1
    assert store.scalar(select(Organization).where(Organization.name == "College of Physicians")) is not None
    assert "<td>created</td>" in response.get_data(as_text=True)
    response = committee.post("/directory/import", {"token": token}, page="/directory/import", follow_redirects=True)
    assert "already applied" in response.get_data(as_text=True) and _people(store) == 1
    html = _upload(
        committee,
        _xlsx([["name", "organization", "email"], ["Ana Registrar", "College of Physicians", "ana@cpso.example"]]),
        "s.xlsx",
    ).get_data(as_text=True)  # the same sheet again
    assert "Preview: 0 to create, 0 to update, 1 unchanged" in html and "<td>unchanged</td>" in html
    assert "Nothing to apply: the directory already matches this file." in html and "Apply these changes" not in html


def test_browser_shows_row_errors_and_offers_no_apply(committee, store):
    html = _upload(committee, b"name,email\nAna,bad\n", "s.csv").get_data(as_text=True)
    assert "Row 2:" in html and "nothing was changed" in html and 'name="token"' not in html


def test_browser_refuses_an_empty_file_on_the_field(committee):
    html = _upload(committee, b"", "s.csv").get_data(as_text=True)
    assert "The file is empty" in html


def test_browser_refuses_a_file_over_10_mb(committee):
    response = _upload(committee, b"name\n" + b"x" * (10 * 1024 * 1024 + 10), "big.csv")
    assert response.status_code == 200 and "the limit is 10 MB" in response.get_data(as_text=True)


def test_upload_and_apply_without_a_csrf_token_are_refused(committee, store, tmp_path):
    response = committee.client.post(
        "/directory/import", data={"file": (io.BytesIO(SHEET.encode()), "s.csv")}, content_type="multipart/form-data"
    )
    assert "Preview" not in response.get_data(as_text=True)
    assert committee.client.post("/directory/import", data={"token": "x" * 32}).status_code == 400
    assert _people(store) == 0


def test_applying_writes_the_previewed_plan_without_reading_the_file_again(committee, store, app):
    html = _upload(committee, SHEET.encode(), "s.csv").get_data(as_text=True)
    token = preview_token(html)
    # The stashed file is replaced by one with other people: what is applied is still what was previewed.
    folder = Path(app.instance_path) / "uploads"
    (folder / f"{token}.csv").write_bytes(b"name,email\nSomeone Else,else@example.org\n")
    html = committee.post("/directory/import", {"token": token}, page="/directory/import").get_data(as_text=True)
    assert "Imported: 2 created" in html
    assert sorted(store.scalars(select(Person.full_name))) == ["Ana Registrar", "Raj Patel"]
    assert not list(folder.glob(f"{token}*"))  # the file and its plan are gone once applied


def test_a_directory_changed_after_the_preview_is_previewed_again_and_nothing_applied(committee, store, make_person):
    html = _upload(committee, SHEET.encode(), "s.csv").get_data(as_text=True)
    assert "Preview: 2 to create, 0 to update" in html
    make_person("Ana Registrar", org="College of Physicians", emails=["ana@cpso.example"])  # someone adds Ana
    html = committee.post("/directory/import", {"token": preview_token(html)}, page="/directory/import").get_data(
        as_text=True
    )
    assert "The directory changed after your preview" in html and "nothing was applied" in html
    assert "Preview: 1 to create, 1 to update" in html and _people(store) == 1
    html = committee.post("/directory/import", {"token": preview_token(html)}, page="/directory/import").get_data(
        as_text=True
    )
    assert "Imported: 1 created, 1 updated" in html
    assert sorted(store.scalars(select(Person.full_name))) == ["Ana Registrar", "Raj Patel"]
    ana = store.scalar(select(Person).where(Person.full_name == "Ana Registrar"))
    assert ana.title == "Registrar" and {c.value for c in ana.contacts} == {"ana@cpso.example", "416-555-0101"}


def test_a_preview_whose_plan_is_lost_damaged_or_of_another_version_is_previewed_again(committee, store, app):
    folder = Path(app.instance_path) / "uploads"
    for damage in (
        lambda plan: plan.unlink(),
        lambda plan: plan.write_text('{"format": 0}'),
        lambda plan: plan.write_text(plan.read_text()[:100]),
    ):
        token = preview_token(_upload(committee, SHEET.encode(), "s.csv").get_data(as_text=True))
        damage(folder / f"{token}.plan.json")
        html = committee.post("/directory/import", {"token": token}, page="/directory/import").get_data(as_text=True)
        assert "Preview: 2 to create" in html and "nothing was applied" in html and _people(store) == 0


@pytest.mark.parametrize(
    "write",
    [
        "INSERT INTO organizations (name, kind, archived) VALUES ('Org', 'ally', false)",
        "UPDATE organizations SET name = 'Renamed'",
        "INSERT INTO people (full_name, archived) VALUES ('Pat', false)",
        "UPDATE people SET title = 'Dr'",
        "DELETE FROM people WHERE full_name = 'Lone'",
        "INSERT INTO contact_points (person_id, kind, label, value) SELECT id, 'email', 'work', 'p@x.org' FROM people",
        "UPDATE contact_points SET value = 'q@x.org'",
        "DELETE FROM contact_points",
        "INSERT INTO tags (name) VALUES ('ally')",
        "INSERT INTO person_tags (person_id, tag_id) SELECT people.id, tags.id FROM people, tags "
        "WHERE people.full_name = 'Setup' AND tags.name = 'other'",
        "DELETE FROM person_tags",
        "UPDATE jurisdictions SET name = name",
        # What a roster refresh also reads (migration 0021):
        "INSERT INTO elected_offices (person_id, jurisdiction_id, district_id, contact_uncertain, current) "
        "SELECT people.id, electoral_districts.jurisdiction_id, electoral_districts.id, false, true "
        "FROM people, electoral_districts WHERE people.full_name = 'Lone' AND electoral_districts.number = 2",
        "UPDATE elected_offices SET party = 'Independent'",
        "DELETE FROM elected_offices",
        "UPDATE electoral_districts SET name = name",
    ],
)
def test_the_directory_revision_moves_on_every_write_an_import_or_a_roster_refresh_depends_on(store, write):
    from sqlalchemy import text

    from crm.stakeholders.revision import directory_revision

    for setup in (
        "INSERT INTO organizations (name, kind, archived) VALUES ('Setup', 'ally', false)",
        "INSERT INTO people (full_name, archived) VALUES ('Setup', false)",
        "INSERT INTO people (full_name, archived) VALUES ('Lone', false)",
        "INSERT INTO tags (name) VALUES ('setup')",
        "INSERT INTO tags (name) VALUES ('other')",
        "INSERT INTO contact_points (person_id, kind, label, value) SELECT id, 'email', 'work', 's@x.org' "
        "FROM people WHERE full_name = 'Setup'",
        "INSERT INTO person_tags (person_id, tag_id) SELECT people.id, tags.id FROM people, tags "
        "WHERE people.full_name = 'Setup' AND tags.name = 'setup'",
        "INSERT INTO elected_offices (person_id, jurisdiction_id, district_id, contact_uncertain, current) "
        "SELECT people.id, electoral_districts.jurisdiction_id, electoral_districts.id, false, true "
        "FROM people, electoral_districts WHERE people.full_name = 'Setup' AND electoral_districts.number = 1",
    ):
        store.execute(text(setup))
    store.commit()
    before = directory_revision(store)
    store.execute(text("SELECT count(*) FROM people JOIN contact_points ON contact_points.person_id = people.id"))
    assert directory_revision(store) == before  # reading moves nothing
    store.execute(text(write))
    assert directory_revision(store) != before  # seen by the writer itself…
    store.commit()
    assert directory_revision(store) != before  # …and by everyone once committed


def test_an_edit_still_uncommitted_while_the_preview_read_the_directory_stops_the_apply(app, store):
    """A colleague's edit in progress when the preview read the directory (so invisible to it) is seen by the apply
    once committed: the plan, made without it, is not applied."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from crm.extensions import db
    from crm.stakeholders.imports import apply_saved_plan, saved_plan

    store.execute(text("INSERT INTO people (full_name, archived) VALUES ('Ana Registrar', false)"))  # not committed
    with app.app_context(), Session(db.engine) as importer:
        report = import_stakeholders(importer, read_table("sheet.csv", SHEET.encode()), apply=False)
        assert report.counts["create"] == 2  # the uncommitted Ana is not seen
        plan = saved_plan(report)
        importer.rollback()
        store.commit()
        assert apply_saved_plan(importer, plan) is None
        importer.rollback()
        report = import_stakeholders(importer, read_table("sheet.csv", SHEET.encode()), apply=False)
        importer.rollback()
        assert apply_saved_plan(importer, saved_plan(report)) is not None  # nothing changed since this preview
        importer.commit()
    assert _people(store) == 3  # the colleague's Ana (no email to match, another organization) and the two rows


def _import(store, sheet: str, apply: bool):
    report = import_stakeholders(store, read_table("sheet.csv", sheet.encode()), apply=apply)
    if apply and not report.errors:
        store.commit()
    else:
        store.rollback()
    return report


def test_an_email_or_a_name_that_matches_several_people_is_an_error_not_a_guess(store, make_person):
    first = make_person("John Quebec", emails=["jean@mdm.example"])
    second = make_person("John Quebec (copy)", emails=["jean@mdm.example"])
    make_person("Twin Name", org="Same Council")
    make_person("twin name", org="Same Council")
    report = _import(
        store,
        "name,email,organization,notes\nJean Québec,jean@mdm.example,,From sheet\n"
        "Twin Name,,Same Council,x\nRaj Patel,raj@ally.example,,\n",
        apply=True,
    )
    assert [number for number, _ in report.errors] == [2, 3]
    assert f"jean@mdm.example matches 2 people in the directory (#{first}, #{second})" in report.errors[0][1]
    assert "Merge them first" in report.errors[0][1] and "Twin Name matches 2 people" in report.errors[1][1]
    assert _people(store) == 4  # nothing applied


def test_a_match_by_email_names_whose_record_changes_and_an_archived_one_says_so(store, make_person):
    quebec = make_person("John Quebec", emails=["jean@mdm.example"])
    gone = store.get(Person, make_person("Li Wei", emails=["li@old.example"]))
    make_person("Li Wei", emails=["li@old.example"])  # an active record shares the archived one's email…
    gone.archived = True
    store.commit()
    report = _import(
        store,
        "name,email,notes\nJean Québec,jean@mdm.example,From sheet\nLi Wei,li@old.example,met again\n",
        apply=False,
    )
    assert report.errors == []
    assert report.rows[0].detail.startswith(f"John Quebec (#{quebec}), matched by email; notes added")
    assert "archived" not in report.rows[1].detail  # …and is the one matched, with no error
    only_archived = store.get(Person, make_person("Old Timer", emails=["old@timer.example"]))
    only_archived.archived = True
    store.commit()
    report = _import(store, "name,email,title\nOld Timer,old@timer.example,Retired\n", apply=False)
    assert "an archived record: it stays archived" in report.rows[0].detail


def test_organizations_match_without_accents_and_in_the_rows_province(store):
    from crm.stakeholders.services import save_organization

    medecins = save_organization(
        store, None, name="Médecins du Monde", acronym=None, kind="ally", jurisdiction="QC", website=None, notes=None
    )
    ministries = {
        code: save_organization(
            store,
            None,
            name="Ministry of Health",
            acronym=None,
            kind="government_ministry",
            jurisdiction=code,
            website=None,
            notes=None,
        )
        for code in ("ON", "BC")
    }
    store.commit()
    report = _import(
        store,
        "name,organization,jurisdiction\nAna Lopez,Medecins du Monde,QC\n"
        "Bo Chan,ministry of health,BC\nCy Dunn,Ministry of Health,ON\n"
        "Di Roy,Ministry of Health,\n",
        apply=True,
    )
    assert report.errors == [] and report.new_organizations == []
    people = {p.full_name: p.organization_id for p in store.scalars(select(Person))}
    assert people["Ana Lopez"] == medecins.id
    assert people["Bo Chan"] == ministries["BC"].id and people["Cy Dunn"] == ministries["ON"].id
    assert people["Di Roy"] in {m.id for m in ministries.values()}  # no province: one of them


def test_a_french_excel_csv_with_semicolons_and_usual_headers_is_read(store):
    sheet = (
        "Nom complet;Courriel;Organisation;Téléphone;Province\n"
        "Émile Côté;emile@cmq.example;Collège des médecins du Québec;514-555-0101;QC\n"
    ).encode("cp1252")
    report = import_stakeholders(store, read_table("contacts.csv", sheet), apply=True)
    store.commit()
    assert report.errors == [] and report.ignored_columns == []
    emile = store.scalar(select(Person).where(Person.full_name == "Émile Côté"))
    assert emile.organization.name == "Collège des médecins du Québec" and emile.jurisdiction.code == "QC"
    assert {c.value for c in emile.contacts} == {"emile@cmq.example", "514-555-0101"}


@pytest.mark.parametrize(
    "sheet",
    [
        "Full Name,Phone Number,E-mail\nAna Lee,416-555-0100,ana@lee.example\n",
        "name\tphone\temail\nAna Lee\t416-555-0100\tana@lee.example\n",
    ],
)
def test_usual_header_names_and_tab_separated_files_are_read(store, sheet):
    report = import_stakeholders(store, read_table("contacts.csv", sheet.encode()), apply=False)
    assert report.errors == [] and report.counts["create"] == 1 and report.ignored_columns == []
    assert report.rows[0].detail == "ana@lee.example"
    assert report.plan.creates[0].phones == ["416-555-0100"]


def test_a_phone_without_digits_is_a_row_error(store):
    report = import_stakeholders(
        store, read_table("s.csv", b"name,phone\nAna,not a phone\nBo,416-555-0100\n"), apply=True
    )
    store.rollback()
    assert report.errors == [(2, "'not a phone' is not a phone number (like 416-555-0100).")] and _people(store) == 0


def test_a_name_too_long_for_the_directory_is_a_row_error(store):
    report = import_stakeholders(store, read_table("s.csv", ("name\n" + "A" * 161 + "\nBo\n").encode()), apply=True)
    store.rollback()
    assert report.errors == [(2, "the name is 161 characters long; shorten it to 160 at most.")] and _people(store) == 0


def test_a_note_already_in_a_persons_notes_is_not_added_again_but_a_shorter_one_is(store, make_person):
    ana = store.get(Person, make_person("Ana Registrar", emails=["ana@cpso.example"]))
    ana.notes = "Met at AGM 2023\n\nmet in May"
    store.commit()
    report = import_stakeholders(
        store, read_table("s.csv", b"name,email,notes\nAna Registrar,ana@cpso.example,met in May\n"), apply=False
    )
    assert report.rows[0].action == "skip"
    report = import_stakeholders(
        store, read_table("s.csv", b"name,email,notes\nAna Registrar,ana@cpso.example,Met\n"), apply=False
    )
    assert report.rows[0].detail == "notes added"


def test_conflicting_header_aliases_are_both_ignored_and_the_others_still_read(store):
    sheet = b"Name,Tel,Telephone,Organisation\nAna,416-555-0100,416-555-0101,Some Council\n"
    report = import_stakeholders(store, read_table("s.csv", sheet), apply=False)
    assert report.errors == [] and report.ignored_columns == ["tel", "telephone"]
    assert report.new_organizations == ["Some Council"]


def test_an_archived_organization_is_not_picked_for_its_province(store):
    from crm.stakeholders.services import save_organization

    active = save_organization(
        store,
        None,
        name="Ministry of Health",
        acronym=None,
        kind="government_ministry",
        jurisdiction="ON",
        website=None,
        notes=None,
    )
    old = save_organization(
        store,
        None,
        name="Ministry of Health",
        acronym=None,
        kind="government_ministry",
        jurisdiction="BC",
        website=None,
        notes=None,
    )
    old.archived = True
    store.commit()
    import_stakeholders(
        store, read_table("s.csv", b"name,organization,jurisdiction\nBo,Ministry of Health,BC\n"), apply=True
    )
    store.commit()
    assert store.scalar(select(Person.organization_id).where(Person.full_name == "Bo")) == active.id


def test_organization_names_fold_as_postgresql_does(store):
    from crm.stakeholders.import_rows import folded

    assert (
        folded("Bœuf Straße Øst Łódź Æsir") == folded("boeuf strasse ost lodz aesir") == "boeuf strasse ost lodz aesir"
    )


@pytest.mark.parametrize(
    "data, english, french",
    [
        (
            b"name,email\na,b\nc,d,e,f\n",
            "Line 3 has 4 values where the header row has 2 columns",
            "La ligne 3 compte 4",
        ),
        (b'name,email\n"a,b\nc,d\n', "A quotation mark opened on line 2 is never closed", "ouvert à la ligne 2"),
    ],
)
def test_a_broken_csv_is_explained_in_the_readers_language_with_the_line_to_fix(app, data, english, french):
    """pandas' English parser error ("Error tokenizing data. C error: Expected 2 fields in line 3, saw 4") is not
    what a lead reads: they get a sentence in their language naming the line."""
    from crm.lib.errors import ValidationError
    from crm.lib.i18n import in_language

    said = {}
    for language in ("en", "fr"):
        with app.test_request_context(), in_language(language), pytest.raises(ValidationError) as error:
            read_table("sheet.csv", data)
        said[language] = error.value.message
    assert english in said["en"] and french in said["fr"]
    assert not any(word in said["fr"] for word in ("Error tokenizing", "Expected", "EOF"))


def test_a_french_lead_reads_each_rows_problem_in_french(app, store):
    from crm.lib.i18n import in_language

    sheet = "name,email,jurisdiction\nAna,not-an-email,ZZ\nAna,a@b.org,ON\nAnna,A@B.org,ON\n"
    with app.test_request_context(), in_language("fr"):
        report = import_stakeholders(store, read_table("s.csv", sheet.encode()), apply=False)
    said = dict(report.errors)
    assert "« not-an-email » n'est pas une adresse courriel" in said[2] and "administration « ZZ » inconnue" in said[2]
    assert "apparaît de nouveau (d'abord à la ligne 3)" in said[4]
    assert not any("is not" in text or "appears again" in text for text in said.values())
