"""Roster refresh: the difference from what is stored, applied in one transaction with audit entries."""

import io

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.stakeholders.files import read_table
from crm.stakeholders.models import ElectedOffice, Person
from crm.stakeholders.roster import refresh_roster
from tests.stakeholders.uploads import preview_token, roster_csv


def _by_election(rows):
    rows[0].update(mpp_name="New Member", party="Green Party of Ontario", email="new.member@ola.example")
    rows[1]["party"] = "Independent"
    rows[2].update(mpp_name="", party="", email="", constituency_phone="")


def _current(store, number):
    return store.scalar(
        select(ElectedOffice)
        .join(ElectedOffice.district)
        .where(ElectedOffice.current.is_(True), ElectedOffice.district.has(number=number))
    )


def test_shipped_roster_matches_what_the_seed_loaded(roster, store):
    report = refresh_roster(store, read_table("r.csv", roster_csv()), apply=False)
    assert report.errors == [] and report.changes == [] and report.unchanged == 124


def test_dry_run_shows_new_changed_left_and_vacant_and_changes_nothing(roster, store):
    report = refresh_roster(store, read_table("r.csv", roster_csv(_by_election)), apply=False)
    store.rollback()
    assert [(c.kind, c.district_number) for c in report.changes] == [
        ("left", 1),
        ("new", 1),
        ("changed", 2),
        ("left", 3),
        ("vacant", 3),
    ]
    assert "party: Progressive Conservative Party of Ontario → Independent" in report.of("changed")[0].detail
    assert _current(store, 1).person.full_name == "Rob Cerjanec"


def test_apply_closes_offices_opens_new_ones_and_leaves_a_vacant_seat(roster, store):
    report = refresh_roster(store, read_table("r.csv", roster_csv(_by_election)), apply=True)
    store.commit()
    assert report.applied and report.counts == {"new": 1, "changed": 1, "left": 2, "vacant": 1, "unchanged": 121}
    assert _current(store, 1).person.full_name == "New Member"
    assert _current(store, 2).party == "Independent"
    assert _current(store, 3) is None
    old = store.scalar(select(Person).where(Person.full_name == "Rob Cerjanec"))
    assert [(o.current, o.to_date is not None) for o in old.offices] == [(False, True)]
    assert old.title == "Former MPP, Ajax" and _current(store, 1).person.title == "MPP, Ajax"
    assert store.scalar(select(AuditEvent).where(AuditEvent.action == "roster_refresh")).changes["new"] == 1
    assert (
        store.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "elected_offices", AuditEvent.action == "update")
        )
        >= 3
    )


def test_a_member_who_left_keeps_a_title_written_by_hand_and_gets_it_back_on_return(roster, store):
    cerjanec = _current(store, 1).person
    cerjanec.title = "MPP, Ajax; critic for health"
    store.commit()

    def leave(rows):
        rows[0].update(mpp_name="")

    refresh_roster(store, read_table("r.csv", roster_csv(leave)), apply=True)
    store.commit()
    assert cerjanec.title == "MPP, Ajax; critic for health"
    refresh_roster(store, read_table("r.csv", roster_csv()), apply=True)
    store.commit()
    assert cerjanec.title == "MPP, Ajax"


def test_a_returning_member_keeps_their_person_record(roster, store):
    def leave(rows):
        rows[0].update(mpp_name="")

    refresh_roster(store, read_table("r.csv", roster_csv(leave)), apply=True)
    store.commit()
    refresh_roster(store, read_table("r.csv", roster_csv()), apply=True)
    store.commit()
    assert store.scalar(select(func.count()).select_from(Person).where(Person.full_name == "Rob Cerjanec")) == 1
    assert _current(store, 1).person.full_name == "Rob Cerjanec"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda rows: rows.pop(), "District(s) 124 have no row"),
        (lambda rows: rows.append(dict(rows[0])), "appears twice"),
        (lambda rows: rows[5].update(ed_number="999"), "Unknown district number '999'"),
        (lambda rows: rows[5].update(email="not an email"), "is not an email address"),
    ],
)
def test_a_roster_with_any_error_changes_nothing(roster, store, edit, message):
    def edit_and_by_election(rows):
        _by_election(rows)
        edit(rows)

    report = refresh_roster(store, read_table("r.csv", roster_csv(edit_and_by_election)), apply=True)
    store.rollback()
    assert any(message in text for _, text in report.errors), report.errors
    assert _current(store, 1).person.full_name == "Rob Cerjanec"


def test_roster_missing_a_required_column_is_refused(roster, store):
    report = refresh_roster(store, [{"ed_number": "1", "mpp_name": "X"}], apply=False)
    assert "Missing column(s): party, email, constituency_phone" in report.errors[0][1]


def test_cli_dry_run_and_apply(app, roster, store, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(_by_election))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "import-representatives", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "new: 1 Ajax: New Member" in result.output and "Nothing was changed" in result.output
    assert _current(store, 1).person.full_name == "Rob Cerjanec"
    result = runner.invoke(args=["crm", "import-representatives", str(path)])
    assert result.exit_code == 0 and "Roster refreshed: 1 new" in result.output
    store.expire_all()
    assert _current(store, 1).person.full_name == "New Member"


def test_cli_exits_non_zero_on_errors(app, roster, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(lambda rows: rows.pop()))
    result = app.test_cli_runner().invoke(args=["crm", "import-representatives", str(path)])
    assert result.exit_code != 0 and "have no row" in result.output


def test_admin_page_previews_then_applies(roster, staff, store):
    admin = staff("admin")
    token = admin.token("/directory/roster")
    response = admin.client.post(
        "/directory/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(roster_csv(_by_election)), "roster.csv")},
    )
    html = response.get_data(as_text=True)
    assert "Differences: 1 new, 1 changed, 2 left, 1 vacant" in html and "Vacant seats (1)" in html
    preview = preview_token(html)
    html = admin.post("/directory/roster", {"token": preview}, page="/directory/roster").get_data(as_text=True)
    assert "Applied: 1 new" in html
    assert _current(store, 3) is None


def test_the_shipped_roster_again_offers_nothing_to_apply(roster, staff):
    admin = staff("admin")
    token = admin.token("/directory/roster")
    html = admin.client.post(
        "/directory/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(roster_csv()), "roster.csv")},
    ).get_data(as_text=True)
    assert "0 new, 0 changed, 0 left, 0 vacant, 124 unchanged" in html
    assert "Nothing to apply: the directory already matches this file." in html and "Apply these changes" not in html


def test_a_seat_that_was_already_vacant_is_listed_but_nothing_is_offered_to_apply(roster, staff, store):
    refresh_roster(store, read_table("r.csv", roster_csv(_by_election)), apply=True)
    store.commit()
    admin = staff("admin")
    token = admin.token("/directory/roster")
    html = admin.client.post(
        "/directory/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(roster_csv(_by_election)), "roster.csv")},
    ).get_data(as_text=True)
    assert "0 new, 0 changed, 0 left, 0 vacant, 124 unchanged" in html
    assert "Seats still vacant (1)" in html and "Nothing to apply" in html and "Apply these changes" not in html


def test_offices_changed_after_the_preview_are_previewed_again_and_nothing_applied(roster, staff, store):
    """What was confirmed is what is applied: a colleague's edit between the preview and the apply (here, an
    office's party) means a new preview against the offices as they are, and nothing applied until it is confirmed."""
    admin = staff("admin")
    response = admin.client.post(
        "/directory/roster",
        content_type="multipart/form-data",
        data={
            "csrf_token": admin.token("/directory/roster"),
            "file": (io.BytesIO(roster_csv(_by_election)), "roster.csv"),
        },
    )
    html = response.get_data(as_text=True)
    assert "Differences: 1 new, 1 changed, 2 left, 1 vacant" in html
    _current(store, 2).party = "Independent"  # what the file changes district 2 to, edited by hand meanwhile
    store.commit()
    html = admin.post("/directory/roster", {"token": preview_token(html)}, page="/directory/roster").get_data(
        as_text=True
    )
    assert "The directory changed after your preview" in html and "nothing was applied" in html
    assert "Differences: 1 new, 0 changed, 2 left, 1 vacant" in html
    assert _current(store, 1).person.full_name == "Rob Cerjanec"  # nothing applied
    html = admin.post("/directory/roster", {"token": preview_token(html)}, page="/directory/roster").get_data(
        as_text=True
    )
    assert "Applied: 1 new" in html
    store.expire_all()
    assert _current(store, 1).person.full_name == "New Member" and _current(store, 3) is None


def test_a_roster_preview_lost_or_of_another_version_is_previewed_again(roster, staff, store, app):
    from pathlib import Path

    admin = staff("admin")
    folder = Path(app.instance_path) / "uploads"
    for damage in (lambda plan: plan.unlink(), lambda plan: plan.write_text('{"format": 0}')):
        response = admin.client.post(
            "/directory/roster",
            content_type="multipart/form-data",
            data={
                "csrf_token": admin.token("/directory/roster"),
                "file": (io.BytesIO(roster_csv(_by_election)), "r.csv"),
            },
        )
        token = preview_token(response.get_data(as_text=True))
        damage(folder / f"{token}.plan.json")
        html = admin.post("/directory/roster", {"token": token}, page="/directory/roster").get_data(as_text=True)
        assert "Differences: 1 new, 1 changed, 2 left, 1 vacant" in html and "nothing was applied" in html
        assert _current(store, 1).person.full_name == "Rob Cerjanec"


def test_a_placeholder_email_is_stored_as_no_address_not_as_mail_to_send_to(roster, store):
    office = _current(store, 124)
    assert office.legislature_email is None and office.mail_address is None and not office.contact_uncertain
    assert [o.contact_uncertain for o in (_current(store, 37), _current(store, 98), _current(store, 121))] == [True] * 3


def test_an_address_the_roster_drops_is_removed_from_the_person(roster, store):
    def drop(rows):
        rows[0]["email"] = "none provided"

    refresh_roster(store, read_table("r.csv", roster_csv(drop)), apply=True)
    store.commit()
    office = _current(store, 1)
    assert office.legislature_email is None
    assert [c.kind for c in office.person.contacts] == ["phone"]
