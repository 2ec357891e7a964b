"""Call-to-action mailings: compose, preview, test, send once, cancel; per-recipient text through the bulk path."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.extensions import db
from crm.mailings.models import Mailing, MailingRecipient
from crm.outbox.models import OutboundMessage
from tests.mailings.conftest import make_mailing, make_segment, run_due


def _mailing(session, mailing_id) -> Mailing:
    session.expire_all()
    return session.get(Mailing, mailing_id)


def test_a_lead_composes_previews_and_sends_a_mailing(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    members = [make_reachable(riding=1, name=f"Dr Member {i}") for i in range(6)]
    segment = make_segment(app, "Riding 1")
    page = browser.post(
        f"/manage/campaigns/{campaign.id}/mailings",
        {
            "segment_id": str(segment),
            "subject": "{{ member_name }}: write to {{ representative_name }}",
            "body": "Hello {{ member_name }} of {{ member_riding }}. {{ action_link }}",
        },
    )
    assert page.status_code == 302, page.get_data(as_text=True)
    mailing_id = session.scalar(select(Mailing.id))
    preview = browser.get(page.headers["Location"]).get_data(as_text=True)
    assert preview.count("As Dr Member") == 3 and "would reach 6 members" in preview
    assert "/act/" in preview and "Unsubscribe" in preview
    sent = browser.post(f"/manage/mailings/{mailing_id}/send", {"scheduled_at": ""}, page=page.headers["Location"])
    assert sent.status_code == 302
    assert _mailing(session, mailing_id).status == "scheduled"
    assert run_due(app) == 1
    mailing = _mailing(session, mailing_id)
    assert (mailing.status, mailing.recipients, mailing.skipped) == ("sent", 6, 0)
    rows = session.scalars(select(OutboundMessage).where(OutboundMessage.batch_id == mailing.batch_id)).all()
    assert {row.to_address for row in rows} == {member.email for member in members}
    assert all(row.unsubscribe_url and "/act/" in row.text_body for row in rows)
    assert "Dr Member 0" in next(r.subject for r in rows if r.to_address == members[0].email)


def test_a_double_click_queues_the_mailing_once(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    token = browser.token(page)
    first = browser.post(f"{page}/send", {"csrf_token": token, "scheduled_at": ""})
    second = browser.post(f"{page}/send", {"csrf_token": token, "scheduled_at": ""})
    assert first.status_code == second.status_code == 302
    assert "already been sent or scheduled" in browser.get(page).get_data(as_text=True)
    assert run_due(app) == 1 and run_due(app) == 0
    assert session.scalar(select(func.count()).select_from(MailingRecipient)) == 1
    assert (
        session.scalar(
            select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "call_to_action")
        )
        == 1
    )


def test_a_segment_that_matches_nobody_queues_nothing(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    make_reachable(consent=False)
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = browser.get(f"/manage/mailings/{mailing_id}").get_data(as_text=True)
    assert "No one matches this segment" in page
    response = browser.post(
        f"/manage/mailings/{mailing_id}/send", {"scheduled_at": ""}, page=f"/manage/mailings/{mailing_id}"
    )
    assert response.status_code == 400 and "nothing was sent" in response.get_data(as_text=True)
    assert _mailing(session, mailing_id).status == "draft"
    assert run_due(app) == 0


def test_a_template_that_fails_for_one_member_skips_them_and_sends_the_rest(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    make_reachable(name="Dr Ordinary")
    make_reachable(name="Dr Ordinary Too")
    odd = make_reachable(name="Dr " + "Long" * 29)  # the subject would pass its limit for this member only
    mailing_id = make_mailing(
        app, campaign, make_segment(app), subject="{{ member_name }} {{ member_name }} {{ member_name }}"
    )
    browser.post(f"/manage/mailings/{mailing_id}/send", {"scheduled_at": ""}, page=f"/manage/mailings/{mailing_id}")
    run_due(app)
    mailing = _mailing(session, mailing_id)
    assert (mailing.recipients, mailing.skipped) == (2, 1)
    skipped = session.scalar(select(MailingRecipient).where(MailingRecipient.user_id == odd.id))
    assert skipped.message_id is None and "longer than" in skipped.skipped_reason
    assert "Skipped: the mailing failed for these members" in browser.get(f"/manage/mailings/{mailing_id}").get_data(
        as_text=True
    )


def test_a_template_that_breaks_the_sandbox_is_refused(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    segment = make_segment(app)
    page = browser.post(
        f"/manage/campaigns/{campaign.id}/mailings",
        {"segment_id": str(segment), "subject": "Hi", "body": "{{ config }} {% for x in y %}{% endfor %}"},
    )
    assert (
        page.status_code == 200
        and "not allowed" in page.get_data(as_text=True)
        or "not a placeholder" in page.get_data(as_text=True)
    )
    assert session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_send_me_a_test_goes_to_the_lead_marked_test(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    make_reachable(name="Dr Sample")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    response = browser.post(f"/manage/mailings/{mailing_id}/test", page=f"/manage/mailings/{mailing_id}")
    assert response.status_code == 302
    message = session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "mailing_test"))
    assert message.to_address == lead.email and message.subject.startswith("[TEST] Dr Sample")
    assert _mailing(session, mailing_id).status == "draft"


def test_cancel_stops_what_is_still_queued(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    for _ in range(3):
        make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    browser.post(f"{page}/send", {"scheduled_at": ""}, page=page)
    run_due(app)
    assert browser.post(f"{page}/cancel", page=page).status_code == 302
    assert _mailing(session, mailing_id).status == "cancelled"
    statuses = session.scalars(select(OutboundMessage.status).where(OutboundMessage.kind == "call_to_action")).all()
    assert statuses == ["cancelled"] * 3


def test_a_scheduled_mailing_waits_for_its_time_and_can_be_cancelled(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    assert browser.post(f"{page}/send", {"scheduled_at": "2999-01-01T09:00"}, page=page).status_code == 302
    assert _mailing(session, mailing_id).status == "scheduled"
    assert run_due(app) == 0
    browser.post(f"{page}/cancel", page=page)
    assert _mailing(session, mailing_id).status == "cancelled"
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    past = browser.post(f"{page}/send", {"scheduled_at": "2000-01-01T09:00"}, page=page)
    assert past.status_code == 302  # already cancelled: nothing to send, said as much


def test_the_worker_sends_each_member_their_own_text_through_sendgrid(
    app, session, make_campaign, make_reachable, sendgrid
):
    from crm.outbox.worker import run_worker

    campaign = make_campaign()
    members = [make_reachable(name=f"Dr Bulk {i}") for i in range(4)]
    mailing_id = make_mailing(app, campaign, make_segment(app))
    with app.test_request_context():
        from crm.mailings.services import send_mailing

        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
    run_worker(app, once=True, concurrency=2)  # its pass job queues the mailing, then it is sent
    delivered = sendgrid.personal_messages()
    assert len(delivered) == 4 and len(sendgrid.received) == 1  # one request for the whole batch
    for member in members:
        mail = delivered[member.email]
        assert mail["subject"] == f"{member.name}, write to your MPP"
        assert f"Dear {member.name}," in mail["text"] and "/act/" in mail["text"]
        assert "/unsubscribe/" in mail["text"] and mail["headers"]["List-Unsubscribe-Post"]
    assert (
        session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "accepted"))
        == 4
    )


def test_the_cli_counts_with_dry_run_and_queues_without(app, runner, session, make_campaign, make_reachable):
    campaign = make_campaign()
    for _ in range(2):
        make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app, "All of them"))
    dry = runner.invoke(
        args=["crm", "mailing", "send", "--campaign", campaign.slug, "--segment", "All of them", "--dry-run"]
    )
    assert dry.exit_code == 0 and "2 member(s) match; nothing was queued" in dry.output
    assert _mailing(session, mailing_id).status == "draft"
    sent = runner.invoke(args=["crm", "mailing", "send", "--campaign", campaign.slug, "--segment", "all of them"])
    assert sent.exit_code == 0, sent.output
    assert "2 message(s) queued" in sent.output and _mailing(session, mailing_id).status == "sent"
    again = runner.invoke(args=["crm", "mailing", "send", "--campaign", campaign.slug, "--segment", "All of them"])
    assert again.exit_code != 0 and "no draft mailing" in again.output
    unknown = runner.invoke(args=["crm", "mailing", "send", "--campaign", "nope", "--segment", "All of them"])
    assert unknown.exit_code != 0 and "No campaign" in unknown.output
