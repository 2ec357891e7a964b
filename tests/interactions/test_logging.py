"""Logging an interaction: participants, hashtags, Markdown, and the bad input the issue names."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import FollowUp, Interaction, InteractionHashtag, Participant
from tests.interactions.conftest import add_interaction, meeting_form


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_committee_member_logs_a_meeting_with_two_regulators(app, browser, committee, stakeholders):
    due = (date.today() + timedelta(days=7)).isoformat()
    response = browser.post(
        "/interactions/new",
        meeting_form(
            **{
                "participants-0-who": f"organization:{stakeholders.cpso}",
                "participants-0-role": "target",
                "participants-1-who": f"organization:{stakeholders.cpsbc}",
                "participants-1-role": "target",
                "participants-2-who": f"user:{committee.id}",
                "participants-2-role": "organiser",
                "hashtags": "#MPPchats skillstohelp",
                "follow_ups-0-title": "Send the PRA figures",
                "follow_ups-0-due_date": due,
                "follow_ups-0-assignee_id": str(committee.id),
            }
        ),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Interaction logged." in html
    assert "College of Physicians and Surgeons of Ontario (CPSO)" in html
    assert "College of Physicians and Surgeons of British Columbia (CPSBC)" in html
    assert "<strong>Ontario proposal</strong>" in html
    assert "Send the PRA figures" in html
    with app.app_context():
        interaction = db.session.scalar(select(Interaction))
        assert interaction.hashtags == "#mppchats #skillstohelp"
        assert sorted(t.tag for t in interaction.tags) == ["#mppchats", "#skillstohelp"]
        assert sorted((p.side, p.role) for p in interaction.participants) == [
            ("itpo", "organiser"),
            ("stakeholder", "target"),
            ("stakeholder", "target"),
        ]
        assert interaction.author_id == committee.id
        assert interaction.follow_ups[0].assignee_id == committee.id
        created = {e.entity_type for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "create"))}
        assert {"interactions", "participants", "follow_ups"} <= created


def test_an_interaction_without_a_stakeholder_is_refused(app, browser, committee, stakeholders):
    response = browser.post("/interactions/new", meeting_form(**{"participants-0-who": f"user:{committee.id}"}))
    assert response.status_code == 200
    assert "Add at least one stakeholder" in response.get_data(as_text=True)
    assert _count(app, Interaction) == 0 and _count(app, Participant) == 0


def test_a_date_far_in_the_future_is_refused_for_something_that_happened(app, browser, committee, stakeholders):
    future = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = browser.post(
        "/interactions/new",
        meeting_form(**{"occurred_at": future, "participants-0-who": f"organization:{stakeholders.cpso}"}),
    )
    assert "That date is in the future" in response.get_data(as_text=True)
    assert _count(app, Interaction) == 0


def test_a_follow_up_due_before_its_interaction_is_refused(app, browser, committee, stakeholders):
    before = (date.today() - timedelta(days=10)).isoformat()
    response = browser.post(
        "/interactions/new",
        meeting_form(
            **{
                "participants-0-who": f"organization:{stakeholders.cpso}",
                "follow_ups-0-title": "Too early",
                "follow_ups-0-due_date": before,
            }
        ),
    )
    assert "cannot be due before the interaction" in response.get_data(as_text=True)
    assert _count(app, Interaction) == 0 and _count(app, FollowUp) == 0


def test_a_follow_up_added_later_cannot_be_due_before_the_interaction(app, browser, committee, stakeholders):
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=3), organization_ids=[stakeholders.cpso]
    )
    page = f"/interactions/{interaction_id}"
    too_early = (date.today() - timedelta(days=5)).isoformat()
    response = browser.post(
        f"{page}/follow-ups", {"title": "x", "due_date": too_early, "assignee_id": ""}, page=page, follow_redirects=True
    )
    assert "cannot be due before the interaction" in response.get_data(as_text=True)
    fine = date.today().isoformat()
    response = browser.post(
        f"{page}/follow-ups",
        {"title": "Call back", "due_date": fine, "assignee_id": str(committee.id)},
        page=page,
        follow_redirects=True,
    )
    assert "Follow-up added." in response.get_data(as_text=True)
    assert _count(app, FollowUp) == 1


def test_script_in_a_summary_is_stored_as_typed_and_rendered_sanitised(app, browser, committee, stakeholders):
    typed = "Hello <script>alert('x')</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    browser.post(
        "/interactions/new",
        meeting_form(**{"summary": typed, "participants-0-who": f"person:{stakeholders.registrar}"}),
    )
    with app.app_context():
        interaction = db.session.scalar(select(Interaction))
        assert interaction.summary == typed
        interaction_id = interaction.id
    html = browser.get(f"/interactions/{interaction_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "onerror" not in html and "javascript:" not in html
    assert "Hello" in html


def test_unknown_or_malformed_participants_are_refused_not_a_500(app, browser, committee, stakeholders):
    for who in ("person:999999", "robot:1", "organization:abc", "person:"):
        response = browser.post("/interactions/new", meeting_form(**{"participants-0-who": who}))
        assert response.status_code == 200, who
        assert "participant" in response.get_data(as_text=True).lower()
    assert _count(app, Interaction) == 0


def test_bad_hashtags_are_explained(app, browser, committee, stakeholders):
    response = browser.post(
        "/interactions/new",
        meeting_form(**{"hashtags": "#ok #not-ok", "participants-0-who": f"organization:{stakeholders.cpso}"}),
    )
    assert "is not a hashtag" in response.get_data(as_text=True)


def test_editing_an_interaction_changes_participants_and_is_audited(app, browser, committee, stakeholders):
    interaction_id = add_interaction(
        app,
        occurred_at=datetime.now() - timedelta(days=1),
        organization_ids=[stakeholders.cpso],
        hashtags="#mppchats",
        title="Before",
    )
    page = browser.get(f"/interactions/{interaction_id}/edit").get_data(as_text=True)
    assert f'name="participants-0-who" type="hidden" value="organization:{stakeholders.cpso}"' in page
    assert 'value="College of Physicians and Surgeons of Ontario (CPSO) · ON"' in page  # the chosen party, by name
    response = browser.post(
        f"/interactions/{interaction_id}/edit",
        meeting_form(
            **{
                "title": "After",
                "hashtags": "#skillstohelp",
                "participants-0-who": f"organization:{stakeholders.cpso}",
                "participants-1-who": f"organization:{stakeholders.mcc}",
            }
        ),
        follow_redirects=True,
    )
    assert "Interaction saved." in response.get_data(as_text=True)
    with app.app_context():
        interaction = db.session.get(Interaction, interaction_id)
        assert interaction.title == "After"
        assert {p.organization_id for p in interaction.participants} == {stakeholders.cpso, stakeholders.mcc}
        assert [t.tag for t in db.session.scalars(select(InteractionHashtag))] == ["#skillstohelp"]
        update = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_type == "interactions")
        )
        assert update.changes["title"] == ["Before", "After"]
        assert update.actor_id == committee.id and update.ip_address


def test_the_form_works_without_javascript_and_offers_no_proposal_versions_yet(app, browser, committee, stakeholders):
    html = browser.get("/interactions/new").get_data(as_text=True)
    assert 'name="participants-0-who_name"' in html and 'name="proposal_version_id"' in html
    assert '<option selected value="">None</option>' in html
    assert "<script>" not in html.replace("<script src=", "")  # no inline script (strict CSP)
    # Without JavaScript, participants are typed: an acronym, a name, or a label in full.
    response = browser.post(
        "/interactions/new",
        meeting_form(
            **{
                "participants-0-who_name": "cpso",
                "participants-1-who_name": "Nadia Registrar — Registrar",
                "participants-2-who_name": "Cora Committee",
            }
        ),
        follow_redirects=True,
    )
    assert "Interaction logged." in response.get_data(as_text=True)
    with app.app_context():
        interaction = db.session.scalar(select(Interaction).order_by(Interaction.id.desc()))
        assert {(p.organization_id, p.person_id, p.user_id) for p in interaction.participants} == {
            (stakeholders.cpso, None, None),
            (None, stakeholders.registrar, None),
            (None, None, committee.id),
        }


def test_a_typed_participant_who_fits_nobody_or_several_gets_a_clear_answer(app, browser, committee, stakeholders):
    from crm.stakeholders.models import Person

    with app.app_context():
        db.session.add_all([Person(full_name="Sam Lee", title="Policy advisor"), Person(full_name="Sam Lee")])
        db.session.commit()
    for typed, answer in (
        ("Nobody Known", "No person, organization or ITPO member is called “Nobody Known”"),
        ("sam lee", "“sam lee” could be 2 different parties (Sam Lee; Sam Lee — Policy advisor)"),
    ):
        response = browser.post(
            "/interactions/new", meeting_form(**{"participants-0-who_name": "CPSO", "participants-1-who_name": typed})
        )
        assert response.status_code == 200 and answer in response.get_data(as_text=True), typed
        assert f'value="{typed}"' in response.get_data(as_text=True)  # what was typed is kept to correct
    response = browser.post(
        "/interactions/new",
        meeting_form(**{"participants-0-who_name": "CPSO", "participants-1-who_name": "Sam Lee — Policy advisor"}),
        follow_redirects=True,
    )
    assert "Interaction logged." in response.get_data(as_text=True)


def test_the_log_form_does_not_grow_with_the_directory(app, browser, committee, stakeholders, count_queries):
    from crm.stakeholders.models import Organization, Person

    small = browser.get("/interactions/new").get_data(as_text=True)
    with app.app_context():
        db.session.add_all(
            [Organization(name=f"Org {i}", kind="ally") for i in range(150)]
            + [Person(full_name=f"Person {i}") for i in range(300)]
        )
        db.session.commit()
    with count_queries() as queries:
        large = browser.get("/interactions/new").get_data(as_text=True)
    assert "Person 299" not in large and "Org 149" not in large
    assert abs(len(large) - len(small)) < 200  # only the CSRF token and the time differ
    assert queries.count < 20


def test_participant_search_finds_organizations_by_acronym_and_people_by_name(browser, committee, stakeholders):
    items = browser.get("/interactions/participants/search?q=cpso").get_json()["items"]
    assert items[0] == {
        "value": f"organization:{stakeholders.cpso}",
        "label": "College of Physicians and Surgeons of Ontario (CPSO) · ON",
        "kind": "organization",
    }
    people = browser.get("/interactions/participants/search?q=nadia&types=person").get_json()["items"]
    assert [p["value"] for p in people] == [f"person:{stakeholders.registrar}"]
    assert browser.get("/interactions/participants/search?q=%25").get_json()["items"] == []
    users = browser.get("/interactions/participants/search?q=cora&types=user").get_json()["items"]
    assert users[0]["value"] == f"user:{committee.id}"


def test_members_cannot_search_participants(browser, make_user):
    make_user("member", email="m@example.org")
    browser.login("m@example.org")
    assert browser.get("/interactions/participants/search?q=cpso").status_code == 403
