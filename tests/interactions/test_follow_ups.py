"""Follow-ups: "My follow-ups" puts overdue first; `flask crm send-digests` mails what is due."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from crm.extensions import db
from crm.interactions import services
from crm.interactions.models import FollowUp
from tests.interactions.conftest import add_interaction


def _follow_up(app, interaction_id, title, due, assignee_id, status="open"):
    with app.app_context():
        from crm.interactions.models import Interaction

        follow_up = FollowUp(
            interaction=db.session.get(Interaction, interaction_id),
            title=title,
            due_date=due,
            assignee_id=assignee_id,
            status=status,
        )
        db.session.add(follow_up)
        db.session.commit()
        follow_up_id = follow_up.id
        db.session.remove()
    return follow_up_id


def test_my_follow_ups_lists_overdue_first_and_only_mine(app, browser, committee, make_user, stakeholders):
    other = make_user("committee", email="other@example.org")
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=30), organization_ids=[stakeholders.cpso], title="CPSO meeting"
    )
    today = date.today()
    _follow_up(app, interaction_id, "Due next week", today + timedelta(days=7), committee.id)
    _follow_up(app, interaction_id, "Overdue one", today - timedelta(days=3), committee.id)
    _follow_up(app, interaction_id, "Due today", today, committee.id)
    _follow_up(app, interaction_id, "Someone else's", today - timedelta(days=9), other.id)
    _follow_up(app, interaction_id, "Already done", today - timedelta(days=9), committee.id, status="done")
    html = browser.get("/interactions/follow-ups/mine").get_data(as_text=True)
    assert html.index("Overdue one") < html.index("Due today") < html.index("Due next week")
    assert "Someone else" not in html and "Already done" not in html
    assert "1 overdue" in html


def test_marking_a_follow_up_done_removes_it_from_my_list(app, browser, committee, stakeholders):
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=3), organization_ids=[stakeholders.cpso]
    )
    follow_up_id = _follow_up(app, interaction_id, "Send figures", date.today(), committee.id)
    response = browser.post(
        f"/interactions/follow-ups/{follow_up_id}/status",
        {"status": "done", "back": "mine"},
        page="/interactions/follow-ups/mine",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "is now done" in html and "Nothing open is assigned to you" in html
    with app.app_context():
        follow_up = db.session.get(FollowUp, follow_up_id)
        assert follow_up.status == "done" and follow_up.completed_at is not None


def test_send_digests_mails_each_committee_member_their_due_and_overdue_follow_ups(
    app, runner, mailbox, make_user, stakeholders
):
    cora = make_user("committee", email="cora@example.org", name="Cora")
    lee = make_user("lead", email="lee@example.org", name="Lee")
    idle = make_user("committee", email="idle@example.org", name="Idle")
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=30), organization_ids=[stakeholders.cpso], title="CPSO meeting"
    )
    today = date.today()
    _follow_up(app, interaction_id, "Overdue for Cora", today - timedelta(days=2), cora.id)
    _follow_up(app, interaction_id, "Due today for Cora", today, cora.id)
    _follow_up(app, interaction_id, "Next month for Cora", today + timedelta(days=30), cora.id)
    _follow_up(app, interaction_id, "Done for Cora", today - timedelta(days=2), cora.id, status="done")
    _follow_up(app, interaction_id, "Due today for Lee", today, lee.id)
    del idle
    result = runner.invoke(args=["crm", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "queued 2 digest(s)" in result.output
    sent = {message["To"]: message.get_body(preferencelist=("plain",)).get_content() for message in mailbox.deliver()}
    assert set(sent) == {"cora@example.org", "lee@example.org"}
    cora_mail = sent["cora@example.org"]
    assert "Overdue for Cora" in cora_mail and "Due today for Cora" in cora_mail
    positions = [cora_mail.index(text) for text in ("Overdue:", "Overdue for Cora", "Due:", "Due today for Cora")]
    assert positions == sorted(positions)
    assert "Next month" not in cora_mail and "Done for Cora" not in cora_mail
    assert "/interactions/follow-ups/mine" in cora_mail


def test_follow_ups_cannot_go_to_members(app_ctx, make_user, stakeholders):
    from crm.lib.errors import ValidationError

    member = make_user("member", email="not-staff@example.org")
    data = services.InteractionInput(
        kind="call",
        occurred_at=datetime.now() - timedelta(hours=1),
        title="Call",
        participants=[services.ParticipantInput(f"person:{stakeholders.mpp}")],
        follow_ups=[services.FollowUpInput("x", date.today(), member.id)],
    )
    try:
        services.log_interaction(db.session, None, data)
    except ValidationError as error:
        assert "committee member" in error.message
    else:
        raise AssertionError("a member was assigned a follow-up")
    finally:
        db.session.rollback()
    assert db.session.scalar(select(FollowUp)) is None
