"""Registering in one click, the waitlist, cancelling, the calendar file and the reminders."""

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.programs import services
from crm.programs.calendar import utc_to_toronto
from crm.programs.models import Event, Registration
from tests.programs.conftest import run


def _member(make_user, n):
    return make_user("member", email=f"m{n}@example.org", name=f"Member {n}")


def _statuses(app, event_id):
    with app.app_context():
        rows = db.session.execute(
            select(Registration.user_id, Registration.status).where(Registration.event_id == event_id)
        ).all()
        db.session.remove()
    return dict(rows)


def _edited(app, event_id, **changes):
    """The event's current values as `update_event` takes them, with `changes` applied."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        values = dict(
            program_id=event.program_id,
            title=event.title,
            description=event.description,
            starts_local=utc_to_toronto(event.starts_at).replace(tzinfo=None),
            ends_local=utc_to_toronto(event.ends_at).replace(tzinfo=None),
            capacity=event.capacity,
            status=event.status,
            join_url=event.join_url,
        )
        db.session.remove()
    return {**values, **changes}


def test_member_registers_in_one_click_and_gets_a_confirmation_with_the_joining_link(
    browser, make_user, make_event, mailbox
):
    event_id = make_event()
    _member(make_user, 1)
    browser.login("m1@example.org")
    before = browser.get(f"/programs/events/{event_id}").get_data(as_text=True)
    assert "zoom.example" not in before
    response = browser.post(
        f"/programs/events/{event_id}/register", page=f"/programs/events/{event_id}", follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "You are registered" in page
    assert "https://zoom.example/j/123" in page
    sent = mailbox.deliver()
    assert sent[-1]["Subject"] == "You are registered: Cracking the CaRMS: interview tips"
    body = sent[-1].get_body(preferencelist=("plain",)).get_content()
    assert "https://zoom.example/j/123" in body and "calendar.ics" in body
    home = browser.get("/home").get_data(as_text=True)
    assert "My program events" in home and "Cracking the CaRMS: interview tips" in home


def test_registering_twice_is_refused_and_changes_nothing(browser, make_user, make_event, app):
    event_id = make_event()
    _member(make_user, 1)
    browser.login("m1@example.org")
    url = f"/programs/events/{event_id}"
    browser.post(url + "/register", page=url)
    page = browser.post(url + "/register", page=url, follow_redirects=True).get_data(as_text=True)
    assert "already registered" in page
    assert len(_statuses(app, event_id)) == 1


@pytest.mark.parametrize("status, message", [("cancelled", "has been cancelled"), ("draft", "not open")])
def test_cancelled_and_draft_events_refuse_registration(app, make_user, make_event, status, message):
    event_id = make_event(status=status)
    user = _member(make_user, 1)
    with pytest.raises(services.ValidationError, match=message):
        run(app, services.register, event_id, user.id)


def test_past_events_refuse_registration(app, make_user, make_event):
    event_id = make_event(starts=datetime(2025, 1, 10, 19, 0))
    user = _member(make_user, 1)
    with pytest.raises(services.ValidationError, match="already taken place"):
        run(app, services.register, event_id, user.id)


def test_an_event_that_ends_before_it_starts_is_refused(app, programs, browser, make_user):
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    response = browser.post(
        "/programs/manage/events/new",
        {
            "program_id": programs["cracking"],
            "title": "Backwards",
            "starts_at": "2027-03-10T19:00",
            "ends_at": "2027-03-10T18:00",
            "capacity": "10",
            "status": "open",
        },
    )
    assert response.status_code == 200
    assert "must end after it starts" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Event.id)) is None
        db.session.remove()


def test_a_full_event_puts_members_on_the_waitlist_and_a_cancellation_moves_the_first_up(
    app, make_user, make_event, mailbox
):
    event_id = make_event(capacity=2)
    users = [_member(make_user, n) for n in range(1, 5)]
    results = [run(app, services.register, event_id, u.id).status for u in users]
    assert results == ["registered", "registered", "waitlisted", "waitlisted"]
    promoted = run(app, services.cancel_registration, event_id, users[0].id)
    assert [r.user_id for r in promoted] == [users[2].id]
    assert _statuses(app, event_id) == {
        users[0].id: "cancelled",
        users[1].id: "registered",
        users[2].id: "registered",
        users[3].id: "waitlisted",
    }
    subjects = [m["Subject"] for m in mailbox.deliver()]
    assert "A place opened up: Cracking the CaRMS: interview tips" in subjects


def test_leaving_the_waitlist_promotes_nobody(app, make_user, make_event):
    event_id = make_event(capacity=1)
    users = [_member(make_user, n) for n in range(1, 4)]
    for u in users:
        run(app, services.register, event_id, u.id)
    assert run(app, services.cancel_registration, event_id, users[1].id) == []
    assert _statuses(app, event_id)[users[2].id] == "waitlisted"


def test_raising_the_capacity_moves_the_waitlist_up(app, make_user, make_event):
    event_id = make_event(capacity=1)
    users = [_member(make_user, n) for n in range(1, 4)]
    for u in users:
        run(app, services.register, event_id, u.id)
    run(app, services.update_event, event_id, **_edited(app, event_id, capacity=3))
    assert set(_statuses(app, event_id).values()) == {"registered"}


def test_a_member_can_register_again_after_cancelling(app, make_user, make_event):
    event_id = make_event()
    user = _member(make_user, 1)
    run(app, services.register, event_id, user.id)
    run(app, services.cancel_registration, event_id, user.id)
    assert run(app, services.register, event_id, user.id).status == "registered"


def test_two_cancellations_at_once_promote_two_different_people(app, make_user, make_event):
    """Each cancellation locks the event: the second waits for the first to commit, then sees its promotion."""
    event_id = make_event(capacity=2)
    users = [_member(make_user, n) for n in range(1, 6)]
    for u in users:
        run(app, services.register, event_id, u.id)
    barrier = threading.Barrier(2)
    errors = []

    def cancel(user_id):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                services.cancel_registration(db.session, event_id, user_id)
                db.session.commit()
                db.session.remove()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=cancel, args=(u.id,)) for u in users[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    statuses = _statuses(app, event_id)
    assert [statuses[u.id] for u in users] == ["cancelled", "cancelled", "registered", "registered", "waitlisted"]


def test_the_calendar_file_is_for_registered_members_with_the_joining_link(browser, make_user, make_event, app):
    event_id = make_event(starts=datetime(2027, 3, 20, 19, 0))
    _member(make_user, 1)
    browser.login("m1@example.org")
    assert browser.get(f"/programs/events/{event_id}/calendar.ics").status_code == 404
    browser.post(f"/programs/events/{event_id}/register", page=f"/programs/events/{event_id}")
    response = browser.get(f"/programs/events/{event_id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20270320T230000Z\r\n" in body  # 7 pm EDT
    assert "LOCATION:https://zoom.example/j/123\r\n" in body


def test_a_waitlisted_member_gets_a_calendar_file_without_the_joining_link(browser, make_user, make_event, app):
    event_id = make_event(capacity=1)
    first = _member(make_user, 1)
    run(app, services.register, event_id, first.id)
    _member(make_user, 2)
    browser.login("m2@example.org")
    page = browser.post(
        f"/programs/events/{event_id}/register", page=f"/programs/events/{event_id}", follow_redirects=True
    ).get_data(as_text=True)
    assert "You are on the waitlist" in page and "zoom.example" not in page
    body = browser.get(f"/programs/events/{event_id}/calendar.ics").get_data(as_text=True)
    assert "zoom.example" not in body


def test_staff_and_anonymous_visitors_cannot_register(browser, make_user, make_event):
    event_id = make_event()
    assert browser.post(f"/programs/events/{event_id}/register", page="/login").status_code in (302, 401)
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    assert browser.post(f"/programs/events/{event_id}/register", page="/home").status_code == 403


def test_draft_events_are_hidden_from_members(browser, make_user, make_event):
    event_id = make_event(status="draft", title="Secret draft")
    _member(make_user, 1)
    browser.login("m1@example.org")
    assert browser.get(f"/programs/events/{event_id}").status_code == 404
    assert "Secret draft" not in browser.get("/programs/").get_data(as_text=True)


def test_reminders_are_queued_a_day_before_and_never_twice(app, make_user, make_event, mailbox, runner):
    soon = make_event(title="Tomorrow's webinar", starts=None)
    later = make_event(title="Next month's webinar")
    user = _member(make_user, 1)
    with app.app_context():
        db.session.get(Event, soon).starts_at = datetime.utcnow() + timedelta(hours=20)
        db.session.get(Event, soon).ends_at = datetime.utcnow() + timedelta(hours=21)
        db.session.get(Event, later).starts_at = datetime.utcnow() + timedelta(days=30)
        db.session.get(Event, later).ends_at = datetime.utcnow() + timedelta(days=30, hours=1)
        db.session.commit()
        db.session.remove()
    run(app, services.register, soon, user.id)
    run(app, services.register, later, user.id)
    mailbox.deliver()
    mailbox.sent.clear()
    result = runner.invoke(args=["crm", "send-reminders"])
    assert "queued 1 reminder(s)" in result.output
    assert "queued 0 reminder(s)" in runner.invoke(args=["crm", "send-reminders"]).output
    sent = mailbox.deliver()
    assert [m["Subject"] for m in sent] == ["Tomorrow: Tomorrow's webinar"]
    assert "https://zoom.example/j/123" in sent[0].get_body(preferencelist=("plain",)).get_content()


def test_the_committee_enters_toronto_times_and_a_time_in_the_spring_gap_is_refused(app, programs, browser, make_user):
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    form = {
        "program_id": programs["cracking"],
        "title": "Across the change",
        "capacity": "10",
        "status": "open",
        "join_url": "https://zoom.example/j/1",
    }
    gap = browser.post(
        "/programs/manage/events/new", {**form, "starts_at": "2027-03-14T02:30", "ends_at": "2027-03-14T04:00"}
    )
    assert gap.status_code == 200 and "does not exist in Toronto" in gap.get_data(as_text=True)
    saved = browser.post(
        "/programs/manage/events/new", {**form, "starts_at": "2027-03-13T19:00", "ends_at": "2027-03-14T19:00"}
    )
    assert saved.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert (event.starts_at, event.ends_at) == (datetime(2027, 3, 14, 0, 0), datetime(2027, 3, 14, 23, 0))
        db.session.remove()
    edit = browser.get(f"/programs/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-13T19:00"' in edit and 'value="2027-03-14T19:00"' in edit


def test_cancelling_an_event_tells_everyone_registered_or_waiting(app, make_user, make_event, mailbox):
    event_id = make_event(capacity=1)
    users = [_member(make_user, n) for n in range(1, 3)]
    for u in users:
        run(app, services.register, event_id, u.id)
    mailbox.deliver()
    mailbox.sent.clear()
    run(app, services.update_event, event_id, **_edited(app, event_id, status="cancelled"))
    sent = mailbox.deliver()
    assert sorted(m["To"] for m in sent) == ["m1@example.org", "m2@example.org"]
    assert all(m["Subject"].startswith("Cancelled: ") for m in sent)
    with pytest.raises(services.ValidationError, match="cancelled"):
        run(app, services.register, event_id, _member(make_user, 3).id)


def test_a_french_member_s_confirmation_gives_the_time_in_french(app, make_user, make_event, mailbox):
    import re

    from crm.auth.models import User

    event_id = make_event(title="Webinaire")
    user = _member(make_user, 1)
    with app.app_context():
        db.session.get(User, user.id).language = "fr"
        db.session.commit()
        db.session.remove()
    run(app, services.register, event_id, user.id)
    text = mailbox.deliver()[0].get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"Quand : \w+\. \d{1,2} \w+\.? \d{4}, \d{1,2} h \d{2} H[NA]E \(heure de Toronto\)", text), text
    assert " pm " not in text and " am " not in text
