"""The committee marks who came, by hand or from the webinar platform's attendee list."""

from sqlalchemy import func, select

from crm.extensions import db
from crm.programs import attendees, services
from crm.programs.models import Attendance
from tests.programs.conftest import run


def _attended(app, event_id):
    with app.app_context():
        rows = set(db.session.scalars(select(Attendance.user_id).where(Attendance.event_id == event_id)))
        db.session.remove()
    return rows


def _committee(browser, make_user):
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")


def test_committee_marks_who_attended_and_the_member_sees_the_count(app, browser, client, make_user, make_event):
    event_id = make_event()
    members = [make_user("member", email=f"m{n}@example.org") for n in range(3)]
    for m in members:
        run(app, services.register, event_id, m.id)
    _committee(browser, make_user)
    url = f"/programs/manage/events/{event_id}"
    response = browser.client.post(
        url, data={"csrf_token": browser.token(url), "attended": [str(members[0].id), str(members[2].id)]}
    )
    assert response.status_code == 302
    assert _attended(app, event_id) == {members[0].id, members[2].id}
    response = browser.client.post(url, data={"csrf_token": browser.token(url), "attended": [str(members[0].id)]})
    assert _attended(app, event_id) == {members[0].id}
    browser.logout()
    browser.login("m0@example.org")
    assert "Program events attended: 1" in browser.get("/home").get_data(as_text=True)


def test_attendee_import_marks_known_members_and_reports_unknown_emails(app, browser, make_user, make_event):
    event_id = make_event()
    known = make_user("member", email="known@example.org")
    walk_in = make_user("member", email="walkin@example.org")  # attended without registering
    run(app, services.register, event_id, known.id)
    _committee(browser, make_user)
    csv_file = (
        "Meeting ID,Topic\n123,Interview tips\n\n"
        "Name (Original Name),User Email,Join Time\n"
        "Known,KNOWN@example.org,2026-03-10 19:01\n"
        "Walk in,walkin@example.org,2026-03-10 19:05\n"
        "Stranger,stranger@example.org,2026-03-10 19:07\n"
    ).encode("utf-8-sig")
    import io

    url = f"/programs/manage/events/{event_id}"
    response = browser.client.post(
        url + "/import",
        data={"csrf_token": browser.token(url), "file": (io.BytesIO(csv_file), "attendees.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Marked 2 attendee(s)" in page and "stranger@example.org" in page
    assert _attended(app, event_id) == {known.id, walk_in.id}


def test_an_attendee_file_without_an_email_column_changes_nothing(app, browser, make_user, make_event):
    event_id = make_event()
    make_user("member", email="known@example.org")
    _committee(browser, make_user)
    import io

    url = f"/programs/manage/events/{event_id}"
    response = browser.client.post(
        url + "/import",
        data={"csrf_token": browser.token(url), "file": (io.BytesIO(b"Name\nKnown\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "No column named" in response.get_data(as_text=True)
    assert _attended(app, event_id) == set()


def test_a_failing_import_applies_nothing(app, make_user, make_event, monkeypatch):
    """All known attendees or none: an error after some rows are added leaves the table as it was."""
    event_id = make_event()
    make_user("member", email="a@example.org")
    make_user("member", email="b@example.org")
    with app.app_context():
        original = db.session.add
        calls = {"n": 0}

        def flaky_add(obj):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
            original(obj)

        monkeypatch.setattr(db.session, "add", flaky_add)
        try:
            attendees.import_attendance(db.session, event_id, b"email\na@example.org\nb@example.org\n", None)
        except RuntimeError:
            db.session.rollback()
        monkeypatch.undo()
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
        db.session.remove()


def test_binary_garbage_as_an_attendee_file_is_refused_politely(app, browser, make_user, make_event):
    event_id = make_event()
    _committee(browser, make_user)
    import io

    url = f"/programs/manage/events/{event_id}"
    response = browser.client.post(
        url + "/import",
        data={"csrf_token": browser.token(url), "file": (io.BytesIO(b"\xff\xfe\x00garbage"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.get_data(as_text=True)
