"""#mppchats reported by members: their MPP is pre-selected, the committee sees the report, nobody else does."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import Interaction
from tests.interactions.conftest import add_interaction


@pytest.fixture
def riding_mpp(app, seeded):
    """A sitting MPP and their district id."""
    from crm.stakeholders.models import ElectedOffice

    with app.app_context():
        office = db.session.scalar(
            select(ElectedOffice).where(ElectedOffice.current.is_(True)).order_by(ElectedOffice.id)
        )
        result = (office.person_id, office.district_id, office.person.full_name)
        db.session.remove()
    return result


def _member(app, make_user, email, district_id):
    from crm.members.models import MemberProfile

    user = make_user("member", email=email, name=email.split("@")[0].title())
    with app.app_context():
        db.session.add(MemberProfile(user_id=user.id, postal_code="M5V 3L9", province="ON", district_id=district_id))
        db.session.commit()
        db.session.remove()
    return user


def _report(browser, person_id, **overrides):
    data = {
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "meeting_format": "in_person",
        "person_id": str(person_id),
        "summary": "We talked about **PRA spots**.",
        "outcome": "Will raise it.",
    }
    data.update(overrides)
    return browser.post("/interactions/mppchats/report", data, follow_redirects=True)


def _priya_reports(app, browser, make_user, riding_mpp):
    """Priya (a member in the MPP's riding) reports a conversation and logs out; returns (Priya, interaction id)."""
    person_id, district_id, _ = riding_mpp
    priya = _member(app, make_user, "priya@example.org", district_id)
    browser.login("priya@example.org")
    _report(browser, person_id)
    browser.logout()
    with app.app_context():
        interaction_id = db.session.scalar(select(Interaction.id))
    return priya, interaction_id


def test_a_member_reports_an_mppchat_with_their_mpp_preselected(app, browser, make_user, riding_mpp):
    person_id, district_id, name = riding_mpp
    member = _member(app, make_user, "priya@example.org", district_id)
    browser.login("priya@example.org")
    form = browser.get("/interactions/mppchats/report").get_data(as_text=True)
    assert f'<option selected value="{person_id}">{name}' in form
    response = _report(browser, person_id)
    html = response.get_data(as_text=True)
    assert "Your #mppchats report is with the advocacy committee" in html
    assert "<strong>PRA spots</strong>" in html
    with app.app_context():
        interaction = db.session.scalar(select(Interaction))
        assert interaction.member_report and interaction.author_id == member.id
        assert interaction.kind == "meeting" and interaction.meeting_format == "in_person"
        assert interaction.hashtags == "#mppchats"
        assert [(p.person_id, p.role) for p in interaction.stakeholders] == [(person_id, "target")]
    assert "#mppchats: Priya with" in browser.get("/interactions/mppchats/mine").get_data(as_text=True)


def test_the_committee_sees_and_can_follow_up_a_member_report(app, browser, make_user, riding_mpp):
    _priya, interaction_id = _priya_reports(app, browser, make_user, riding_mpp)
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    listing = browser.get("/interactions/?hashtag=%23mppchats").get_data(as_text=True)
    assert "#mppchats: Priya with" in listing and "member report" in listing
    page = browser.get(f"/interactions/{interaction_id}").get_data(as_text=True)
    assert "Add follow-up" in page and "reported by a member" in page


def test_staff_editing_a_member_report_keeps_the_member_as_participant(app, browser, make_user, riding_mpp):
    member, interaction_id = _priya_reports(app, browser, make_user, riding_mpp)
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    form = browser.get(f"/interactions/{interaction_id}/edit").get_data(as_text=True)
    assert f'type="hidden" value="user:{member.id}"' in form and 'value="Priya (member)"' in form


def test_a_member_cannot_read_or_edit_another_members_report_and_the_attempt_is_logged(
    app, browser, make_user, riding_mpp
):
    _priya, interaction_id = _priya_reports(app, browser, make_user, riding_mpp)
    intruder = _member(app, make_user, "ivan@example.org", riding_mpp[1])
    browser.login("ivan@example.org")
    assert browser.get(f"/interactions/{interaction_id}").status_code == 403
    assert browser.get(f"/interactions/{interaction_id}/edit").status_code == 403
    response = browser.post(
        f"/interactions/{interaction_id}/edit", {"summary": "hijacked"}, page="/interactions/mppchats/report"
    )
    assert response.status_code == 403
    assert "#mppchats: Priya" not in browser.get("/interactions/mppchats/mine").get_data(as_text=True)
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "refused").order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_id, e.entity_id, e.changes["operation"]) for e in refused] == [
            (intruder.id, interaction_id, "read"),
            (intruder.id, interaction_id, "edit"),
            (intruder.id, interaction_id, "edit"),
        ]
        assert db.session.get(Interaction, interaction_id).summary != "hijacked"


def test_a_member_cannot_read_committee_notes_and_the_attempt_is_logged(app, browser, make_user, stakeholders):
    interaction_id = add_interaction(
        app,
        occurred_at=datetime.now() - timedelta(days=1),
        organization_ids=[stakeholders.cpso],
        summary="Committee-only notes",
    )
    member = make_user("member", email="curious@example.org")
    browser.login("curious@example.org")
    response = browser.get(f"/interactions/{interaction_id}")
    assert response.status_code == 403 and "Committee-only notes" not in response.get_data(as_text=True)
    assert browser.get("/interactions/").status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refused"))
        assert (event.actor_id, event.entity_type, event.entity_id) == (member.id, "interactions", interaction_id)


def test_a_member_edits_their_own_report(app, browser, make_user, riding_mpp):
    person_id, district_id, _ = riding_mpp
    _member(app, make_user, "priya@example.org", district_id)
    browser.login("priya@example.org")
    _report(browser, person_id)
    with app.app_context():
        interaction_id = db.session.scalar(select(Interaction.id))
    page = f"/interactions/{interaction_id}/edit"
    assert "We talked about" in browser.get(page).get_data(as_text=True)
    response = browser.post(
        page,
        {
            "occurred_on": date.today().isoformat(),
            "meeting_format": "virtual",
            "person_id": str(person_id),
            "summary": "Corrected summary",
            "outcome": "",
        },
        follow_redirects=True,
    )
    assert "Your report is updated." in response.get_data(as_text=True)
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert interaction.summary == "Corrected summary" and interaction.meeting_format == "virtual"
        assert len(interaction.participants) == 2


def test_a_report_in_the_future_or_without_an_mpp_is_refused(app, browser, make_user, riding_mpp):
    person_id, district_id, _ = riding_mpp
    _member(app, make_user, "priya@example.org", district_id)
    browser.login("priya@example.org")
    future = (date.today() + timedelta(days=60)).isoformat()
    assert "That date is in the future" in _report(browser, person_id, occurred_on=future).get_data(as_text=True)
    assert "Choose your MPP" in _report(browser, "").get_data(as_text=True)
    assert "Choose your MPP" in _report(browser, 999999).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Interaction)) is None
