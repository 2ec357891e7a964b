"""Archiving an interaction logged by mistake: out of lists, timelines, follow-up lists and dashboards; its page,
history and audit trail kept; restorable; staff only."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.interactions.models import FollowUp, Interaction
from tests.interactions.conftest import add_interaction


def _archive(browser, interaction_id: int, archived: str = "1"):
    return browser.post(
        f"/interactions/{interaction_id}/archive",
        {"archived": archived},
        page=f"/interactions/{interaction_id}",
        follow_redirects=True,
    )


def test_an_archived_interaction_leaves_lists_timelines_and_follow_ups_but_keeps_its_page(
    app, browser, committee, stakeholders
):
    when = datetime.now() - timedelta(days=3)
    kept = add_interaction(
        app, occurred_at=when, organization_ids=[stakeholders.cpso], title="Kept meeting", hashtags="#mppchats"
    )
    mistake = add_interaction(
        app,
        occurred_at=when,
        organization_ids=[stakeholders.cpso],
        person_ids=[stakeholders.registrar],
        user_ids=[committee.id],
        title="Logged twice by mistake",
        hashtags="#mppchats",
    )
    with app.app_context():
        db.session.add(
            FollowUp(
                interaction_id=mistake,
                title="Chase the duplicate",
                due_date=date.today(),
                assignee_id=committee.id,
                status="open",
            )
        )
        db.session.commit()
        db.session.remove()
    pages = [
        "/interactions/",
        f"/interactions/?stakeholder=organization:{stakeholders.cpso}",
        f"/interactions/?participant={committee.id}",
        "/interactions/?hashtag=mppchats",
        f"/directory/organizations/{stakeholders.cpso}",
        f"/directory/people/{stakeholders.registrar}",
        "/interactions/follow-ups/mine",
    ]
    assert all(
        "Logged twice by mistake" in browser.get(url).get_data(as_text=True)
        or "Chase the duplicate" in browser.get(url).get_data(as_text=True)
        for url in pages
    )

    html = _archive(browser, mistake).get_data(as_text=True)
    assert "Interaction archived." in html and "left out of lists" in html and "Restore" in html
    for url in pages:
        html = browser.get(url).get_data(as_text=True)
        assert "Logged twice by mistake" not in html and "Chase the duplicate" not in html, url
    assert "Kept meeting" in browser.get("/interactions/").get_data(as_text=True)
    export = browser.get("/interactions/export.csv").get_data(as_text=True)
    assert "Kept meeting" in export and "Logged twice by mistake" not in export
    assert "Logged twice by mistake" in browser.get(f"/interactions/{mistake}").get_data(as_text=True)

    html = _archive(browser, mistake, "0").get_data(as_text=True)
    assert "Interaction restored." in html
    assert "Logged twice by mistake" in browser.get(f"/directory/people/{stakeholders.registrar}").get_data(
        as_text=True
    )
    with app.app_context():
        changes = [
            e.changes
            for e in db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.entity_type == "interactions",
                    AuditEvent.entity_id == mistake,
                    AuditEvent.action == "update",
                )
                .order_by(AuditEvent.id)
            )
        ]
        assert [c["archived"] for c in changes] == [[False, True], [True, False]]
        assert kept and db.session.get(Interaction, mistake).archived is False
        db.session.remove()


def test_the_committee_dashboard_leaves_archived_interactions_out(app, browser, committee, stakeholders):
    for n in range(3):
        add_interaction(app, occurred_at=datetime.now() - timedelta(days=n + 1), organization_ids=[stakeholders.cpso])
    mistake = add_interaction(app, occurred_at=datetime.now() - timedelta(days=1), organization_ids=[stakeholders.cpso])
    row = '<th scope="row">Regulator</th><td class="text-end">{}</td>'
    assert row.format(4) in browser.get("/dashboards/committee").get_data(as_text=True)
    _archive(browser, mistake)
    html = browser.get("/dashboards/committee").get_data(as_text=True)
    assert row.format(3) in html and row.format(4) not in html


def test_only_staff_archive_and_a_bad_request_changes_nothing(app, browser, make_user, stakeholders):
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=1), organization_ids=[stakeholders.cpso]
    )
    make_user("member", email="curious@example.org")
    browser.login("curious@example.org")
    assert (
        browser.post(
            f"/interactions/{interaction_id}/archive", {"archived": "1"}, page="/interactions/mppchats/mine"
        ).status_code
        == 403
    )
    browser.logout()
    make_user("committee", email="cora@example.org")
    browser.login("cora@example.org")
    html = _archive(browser, interaction_id, "yes").get_data(as_text=True)
    assert "not valid" in html
    with app.app_context():
        assert db.session.get(Interaction, interaction_id).archived is False
        db.session.remove()
