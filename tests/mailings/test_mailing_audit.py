"""Sending, scheduling and cancelling a mailing leave a line in the audit log: who, which mailing, how many."""

from __future__ import annotations

from sqlalchemy import select

from crm.audit.models import AuditEvent
from tests.mailings.conftest import make_mailing, make_segment, run_due


def _events(session, mailing_id) -> list[AuditEvent]:
    session.expire_all()
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "mailings", AuditEvent.entity_id == mailing_id)
        .where(AuditEvent.action.like("mailing_%"))
        .order_by(AuditEvent.id)
    ).all()


def test_sending_a_mailing_records_the_lead_the_mailing_and_the_recipient_count(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    for _ in range(3):
        make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    assert browser.post(f"{page}/send", {"scheduled_at": ""}, page=page).status_code == 302
    run_due(app)
    sent, queued = _events(session, mailing_id)
    assert (sent.action, sent.actor_id, sent.changes["recipients"]) == ("mailing_send", lead.id, 3)
    assert sent.changes["campaign_id"] == campaign.id and sent.ip_address == "127.0.0.1"
    assert (queued.action, queued.changes["recipients"], queued.changes["skipped"]) == ("mailing_queued", 3, 0)


def test_scheduling_then_cancelling_a_mailing_records_both_with_the_lead(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    make_reachable()
    make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    browser.post(f"{page}/send", {"scheduled_at": "2999-01-01T09:00"}, page=page)
    browser.post(f"{page}/cancel", page=page)
    scheduled, cancelled = _events(session, mailing_id)
    assert (scheduled.action, scheduled.actor_id, scheduled.changes["recipients"]) == ("mailing_schedule", lead.id, 2)
    assert scheduled.changes["scheduled_at"].startswith("2999-01-01")
    assert (cancelled.action, cancelled.actor_id, cancelled.changes["was"]) == ("mailing_cancel", lead.id, "scheduled")


def test_cancelling_a_sent_mailing_records_how_many_messages_were_stopped(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    for _ in range(4):
        make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    browser.post(f"{page}/send", {"scheduled_at": ""}, page=page)
    run_due(app)
    browser.post(f"{page}/cancel", page=page)
    cancelled = _events(session, mailing_id)[-1]
    assert cancelled.action == "mailing_cancel" and cancelled.actor_id == lead.id
    assert (cancelled.changes["recipients"], cancelled.changes["stopped"]) == (4, 4)


def test_a_double_click_records_one_send(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    token = browser.token(page)
    browser.post(f"{page}/send", {"csrf_token": token, "scheduled_at": ""})
    browser.post(f"{page}/send", {"csrf_token": token, "scheduled_at": ""})
    assert [event.action for event in _events(session, mailing_id)] == ["mailing_send"]


def test_the_worker_apps_scheduled_job_queues_a_due_mailing_and_records_it(
    app, session, database_url, tmp_path, make_campaign, make_reachable
):
    """`flask --app worker`: the job runs in the request context its links are built in, where the audit log
    reads current_user; the worker app has the web app's user loader (no one is logged in)."""
    import subprocess
    import sys

    from crm import ROOT
    from crm.extensions import db
    from crm.mailings.models import Mailing
    from crm.mailings.services import send_mailing
    from tests.ops.test_worker_processes import worker_env

    campaign = make_campaign()
    for _ in range(3):
        make_reachable()
    mailing_id = make_mailing(app, campaign, make_segment(app))
    with app.app_context():
        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
        db.session.remove()
    env = worker_env(database_url, tmp_path)
    command = [sys.executable, "-m", "flask", "--app", "worker", "crm", "jobs", "run", "scheduled-mailings"]
    ran = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    [sent, queued] = _events(session, mailing_id)
    assert (queued.action, queued.actor_id, queued.changes["recipients"]) == ("mailing_queued", None, 3)
    assert session.get(Mailing, mailing_id).status == "sent"
