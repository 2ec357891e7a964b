"""Follow-ups where people look: a stakeholder's page lists the open follow-ups of their interactions, and the
staff home shows one's own (overdue first) and the week's meetings; the query count does not grow with them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from crm.extensions import db
from tests.interactions.conftest import add_interaction


def _follow_up(app, interaction_id: int, title: str, due: date, assignee_id=None, status="open") -> None:
    from crm.interactions.models import FollowUp

    with app.app_context():
        db.session.add(
            FollowUp(interaction_id=interaction_id, title=title, due_date=due, assignee_id=assignee_id, status=status)
        )
        db.session.commit()
        db.session.remove()


def _meeting_with_registrar(app, stakeholders, days_ago=3, title="Met the registrar") -> int:
    when = datetime.now() - timedelta(days=days_ago)
    return add_interaction(app, occurred_at=when, person_ids=[stakeholders.registrar], title=title)


def test_a_person_and_their_organization_list_the_open_follow_ups(app, browser, committee, stakeholders):
    meeting = _meeting_with_registrar(app, stakeholders)
    today = date.today()
    _follow_up(app, meeting, "Send the PRA brief", today - timedelta(days=1), committee.id)
    _follow_up(app, meeting, "Book a second meeting", today + timedelta(days=5))
    _follow_up(app, meeting, "Already done", today, status="done")
    for url in (f"/directory/people/{stakeholders.registrar}", f"/directory/organizations/{stakeholders.cpso}"):
        html = browser.get(url).get_data(as_text=True)
        section = html[html.index("Open follow-ups") : html.index('id="timeline-heading"')]
        assert section.index("Send the PRA brief") < section.index("Book a second meeting"), url
        assert "overdue" in section and "Already done" not in section and "unassigned" in section
    other = browser.get(f"/directory/people/{stakeholders.mpp}").get_data(as_text=True)
    assert "Open follow-ups" not in other


def test_the_staff_home_shows_my_follow_ups_overdue_first_and_the_weeks_meetings(
    app, browser, committee, stakeholders, make_user
):
    someone_else = make_user("committee", email="else@example.org")
    meeting = _meeting_with_registrar(app, stakeholders, days_ago=2, title="PRA meeting at CPSO")
    old = _meeting_with_registrar(app, stakeholders, days_ago=20, title="An old meeting")
    today = date.today()
    _follow_up(app, meeting, "Later task", today + timedelta(days=3), committee.id)
    _follow_up(app, old, "Late task", today - timedelta(days=2), committee.id)
    _follow_up(app, meeting, "Not mine", today, someone_else.id)
    html = browser.get("/home").get_data(as_text=True)
    mine = html[html.index('id="my-follow-ups-heading"') : html.index('id="week-meetings-heading"')]
    assert mine.index("Late task") < mine.index("Later task") and "overdue" in mine and "Not mine" not in mine
    week = html[html.index('id="week-meetings-heading"') :]
    assert "PRA meeting at CPSO" in week and "An old meeting" not in week and "Nadia Registrar" in week


def test_pages_with_follow_ups_cost_the_same_queries_for_one_or_many(
    app, browser, committee, stakeholders, count_queries
):
    first = _meeting_with_registrar(app, stakeholders)
    _follow_up(app, first, "One", date.today(), committee.id)
    pages = ["/home", f"/directory/people/{stakeholders.registrar}", f"/directory/organizations/{stakeholders.cpso}"]
    before = {}
    for url in pages:
        browser.get(url)
        with count_queries() as counted:
            assert browser.get(url).status_code == 200
        before[url] = counted.count
    for n in range(8):
        meeting = _meeting_with_registrar(app, stakeholders, days_ago=1 + n % 5, title=f"Meeting {n}")
        _follow_up(app, meeting, f"Task {n}", date.today() + timedelta(days=n), committee.id)
    for url in pages:
        with count_queries() as counted:
            assert browser.get(url).status_code == 200
        assert counted.count == before[url], url
