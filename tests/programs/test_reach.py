"""The program dashboards' numbers: registrations, attendance rate, reach by riding and stage; small counts hidden."""

from datetime import datetime, timedelta

from sqlalchemy import select

from crm.extensions import db
from crm.members.models import MemberProfile
from crm.programs import services
from crm.programs.models import Attendance, Event, Registration
from crm.programs.reach import FEWER, program_reach
from crm.reference.models import ElectoralDistrict


def _populate(app, make_user, event_id, *, members, attended, district_name=None, stage="carms"):
    with app.app_context():
        district = (
            db.session.scalar(select(ElectoralDistrict).order_by(ElectoralDistrict.id)) if district_name else None
        )
        user_ids = []
        for n in range(members):
            user = make_user("member")
            user_ids.append(user.id)
            db.session.add(
                MemberProfile(user_id=user.id, licensure_stage=stage, district_id=district.id if district else None)
            )
            db.session.add(
                Registration(event_id=event_id, user_id=user.id, status="registered", queued_at=datetime.utcnow())
            )
            if n < attended:
                db.session.add(Attendance(event_id=event_id, user_id=user.id, source="manual"))
        db.session.commit()
        name = district.name if district else None
        db.session.remove()
    return name


def _end(app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at = datetime.utcnow() - timedelta(days=2)
        event.ends_at = event.starts_at + timedelta(hours=1)
        db.session.commit()
        db.session.remove()


def test_reach_counts_registrations_attendance_and_members_by_riding_and_stage(app, make_user, make_event, programs):
    event_id = make_event(capacity=50)
    riding = _populate(app, make_user, event_id, members=8, attended=6, district_name=True)
    _end(app, event_id)
    with app.app_context():
        cracking = program_reach(db.session, programs["cracking"])
        db.session.remove()
    assert len(cracking) == 1
    reach = cracking[0]
    assert reach["name"] == "Cracking the CaRMS"
    assert reach["events_held"] == 1
    assert reach["registrations"] == 8 and reach["attendees"] == 6 and reach["attendance_rate"] == 75
    assert reach["members_reached"] == 8
    assert reach["by_riding"] == [(riding, "8")]
    assert reach["by_stage"] == [("CaRMS applicant", "8")]


def test_every_count_under_five_is_shown_as_fewer_than_five(app, make_user, make_event, programs):
    event_id = make_event(capacity=50)
    _populate(app, make_user, event_id, members=6, attended=2, stage="pra")
    _end(app, event_id)
    with app.app_context():
        everything = program_reach(db.session)
        db.session.remove()
    assert [p["name"] for p in everything] == [
        "Cracking the CaRMS",
        "Besides the CaRMS",
        "Between the CaRMS",
        "Before the CaRMS",
    ]
    cracking, besides = everything[0], everything[1]
    assert cracking["registrations"] == 6 and cracking["attendees"] == FEWER
    assert cracking["attendance_rate"] is None  # 2 of 6 would give the small count away
    assert cracking["by_riding"] == [("Riding not known", "6")]
    assert besides["registrations"] == FEWER and besides["by_stage"] == []


def test_the_reach_report_is_for_staff_only(browser, make_user, programs):
    make_user("member", email="m@example.org")
    browser.login("m@example.org")
    assert browser.get("/programs/report").status_code == 403
    browser.logout()
    make_user("lead", email="l@example.org")
    browser.login("l@example.org")
    page = browser.get("/programs/report").get_data(as_text=True)
    assert "Who the programs reach" in page and "fewer than 5" in page


def test_the_events_list_uses_the_same_number_of_queries_however_many_events(
    browser, make_user, make_event, count_queries, app
):
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    make_event()
    with count_queries() as few:
        assert browser.get("/programs/manage").status_code == 200
    for n in range(6):
        event_id = make_event(title=f"Event {n}")
        services_user = make_user("member")
        with app.app_context():
            services.register(db.session, event_id, services_user.id)
            db.session.commit()
            db.session.remove()
    with count_queries() as many:
        assert browser.get("/programs/manage").status_code == 200
    assert many.count == few.count


def test_the_public_programs_page_uses_the_same_number_of_queries_however_many_events(
    client, make_event, count_queries
):
    make_event()
    with count_queries() as few:
        client.get("/programs/")
    for n in range(5):
        make_event(title=f"Event {n}")
    with count_queries() as many:
        client.get("/programs/")
    assert many.count == few.count


def test_a_lone_small_riding_cannot_be_worked_out_from_the_members_reached(app, make_user, make_event, programs):
    """8 in one riding and 2 in another: showing the 8 beside '10 members reached' would give the 2 away."""
    from tests.members.attacker import assert_nothing_can_be_worked_out

    first, second = make_event(capacity=50), make_event(title="Second", capacity=50)
    _populate(app, make_user, first, members=8, attended=0, district_name=True)
    _populate(app, make_user, second, members=2, attended=0)
    with app.app_context():
        reach = program_reach(db.session, programs["cracking"])[0]
        db.session.remove()
    assert reach["members_reached"] == 10
    assert dict(reach["by_riding"]) == {"Riding not known": FEWER, reach["by_riding"][0][0]: "5 or more"}
    assert_nothing_can_be_worked_out(reach["by_riding"], 10)
    assert_nothing_can_be_worked_out(reach["by_stage"], 10)


def test_reach_counts_only_events_that_start_in_the_chosen_days(app, make_user, make_event, programs):
    from datetime import date

    event_id = make_event(capacity=50)
    _populate(app, make_user, event_id, members=6, attended=0)
    with app.app_context():
        starts = db.session.get(Event, event_id).starts_at.date()
        inside = program_reach(db.session, programs["cracking"], start=starts, end=starts)[0]
        before = program_reach(db.session, programs["cracking"], end=starts - timedelta(days=1))[0]
        after = program_reach(
            db.session, programs["cracking"], start=starts + timedelta(days=1), end=date.max - timedelta(days=1)
        )[0]
        db.session.remove()
    assert inside["registrations"] == 6
    assert before["registrations"] == after["registrations"] == FEWER and before["by_riding"] == []
