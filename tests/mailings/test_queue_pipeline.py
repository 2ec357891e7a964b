"""A mailing is queued chunk by chunk, its rows written on a database thread while the next chunk renders: every
member must still be queued once with their own text, in their language, and a write that fails leaves nothing."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.pipeline import DatabaseThread
from crm.mailings import services
from crm.mailings.models import Mailing, MailingRecipient
from crm.outbox.models import MailBatch, OutboundMessage
from tests.mailings.conftest import make_mailing, make_segment, run_due
from tests.mailings.test_in_french import FRENCH, _made, _send_now


def test_calls_run_in_order_in_the_callers_app_context_and_errors_reach_the_caller(app):
    seen = []
    with app.app_context(), DatabaseThread() as database:
        futures = [database.submit(lambda n: seen.append((n, current_app.name)), n) for n in range(20)]
        assert database.call(len, seen) == 20  # after every call given before it
        with pytest.raises(ZeroDivisionError):
            database.call(lambda: 1 / 0)
        database.submit(seen.append, "last")
    assert seen == [(n, app.name) for n in range(20)] + ["last"]  # leaving the block waited for it
    assert all(future.done() for future in futures)


def test_members_over_many_chunks_are_each_queued_once_with_their_own_text(
    app, session, make_campaign, make_reachable, monkeypatch
):
    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    campaign = make_campaign()
    members = _made(app, make_reachable, ["en", "fr", None, "fr", "en", "en", "fr"])
    odd = make_reachable(name="Dr " + "Long" * 29)  # the subject would pass its limit for this member only
    mailing_id = make_mailing(
        app, campaign, make_segment(app), subject="{{ member_name }} {{ member_name }} {{ member_name }}", **FRENCH
    )
    _send_now(app, mailing_id)
    assert run_due(app) == 1
    mailing = session.get(Mailing, mailing_id)
    assert (mailing.recipients, mailing.skipped) == (7, 1)
    rows = session.execute(
        select(MailingRecipient.user_id, OutboundMessage.to_address, OutboundMessage.text_body, MailBatch.text_body)
        .join(OutboundMessage, OutboundMessage.id == MailingRecipient.message_id)
        .join(MailBatch, MailBatch.id == OutboundMessage.batch_id)
    ).all()
    assert sorted(row.user_id for row in rows) == sorted(member.id for member in members)
    for member in members:
        _, address, text, frame = next(row for row in rows if row.user_id == member.id)
        french = "Se désabonner" in frame
        assert address == member.email and (f"Bonjour {member.name}," if french else f"Dear {member.name},") in text
        assert french == (member.name.startswith("Dr fr"))
    skipped = session.scalar(select(MailingRecipient).where(MailingRecipient.user_id == odd.id))
    assert skipped.message_id is None and "longer than" in skipped.skipped_reason


def test_a_write_that_fails_midway_queues_nothing_and_the_next_pass_queues_everyone(
    app, session, make_campaign, make_reachable, monkeypatch
):
    from crm.outbox.worker import run_pass_jobs

    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    campaign = make_campaign()
    for index in range(5):
        make_reachable(name=f"Dr Member {index}")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    _send_now(app, mailing_id)
    written = []

    def fail_on_the_second_chunk(session, rows):
        if written:
            raise RuntimeError("the database went away")
        written.append(len(rows))
        return real(session, rows)

    real = services.insert_personal_rows
    monkeypatch.setattr(services, "insert_personal_rows", fail_on_the_second_chunk)
    with app.test_request_context():
        run_pass_jobs(db.session)  # the job fails, is logged and rolled back
    session.expire_all()
    assert session.get(Mailing, mailing_id).status == "scheduled"
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    assert session.scalar(select(func.count()).select_from(MailingRecipient)) == 0
    monkeypatch.setattr(services, "insert_personal_rows", real)
    assert run_due(app) == 1
    session.expire_all()
    assert session.get(Mailing, mailing_id).recipients == 5
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 5


def test_a_step_that_fails_keeps_the_steps_before_it_and_the_next_pass_queues_the_rest_once(
    app, session, make_campaign, make_reachable, monkeypatch
):
    from crm.audit.models import AuditEvent
    from crm.outbox.worker import run_pass_jobs

    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    monkeypatch.setattr(services, "QUEUE_STEP", 4)
    campaign = make_campaign()
    members = [make_reachable(name=f"Dr Member {index}") for index in range(10)]
    mailing_id = make_mailing(app, campaign, make_segment(app))
    _send_now(app, mailing_id)
    written = []

    def fail_in_the_second_step(session, rows):
        if len(written) == 2:  # the first chunk of the second step
            raise RuntimeError("the database went away")
        written.append(len(rows))
        return real(session, rows)

    real = services.insert_personal_rows
    monkeypatch.setattr(services, "insert_personal_rows", fail_in_the_second_step)
    with app.test_request_context():
        run_pass_jobs(db.session)  # the first step is committed; the second fails, is logged and rolled back
    session.expire_all()
    mailing = session.get(Mailing, mailing_id)
    assert (mailing.status, mailing.recipients, mailing.queued_through) == ("sent", 4, members[3].id)
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 4
    monkeypatch.setattr(services, "insert_personal_rows", real)
    assert run_due(app) == 1  # the sweep finishes it
    session.expire_all()
    mailing = session.get(Mailing, mailing_id)
    assert (mailing.recipients, mailing.skipped, mailing.queued_through) == (10, 0, None)
    queued = session.scalars(select(MailingRecipient.user_id).order_by(MailingRecipient.user_id)).all()
    assert queued == [member.id for member in members]  # each once
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 10
    batches = session.scalars(select(OutboundMessage.batch_id).distinct()).all()
    assert batches == [mailing.batch_id]  # the later steps wrote into the batch the first one made
    records = session.scalars(select(AuditEvent.changes).where(AuditEvent.action == "mailing_queued")).all()
    assert records == [{"campaign_id": campaign.id, "recipients": 10, "skipped": 0}]


def test_the_worker_sends_a_mailings_first_steps_while_its_later_steps_are_queued(
    app, session, make_campaign, make_reachable, sendgrid, monkeypatch
):
    import threading

    from crm.outbox.worker import run_worker

    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    monkeypatch.setattr(services, "QUEUE_STEP", 2)
    campaign = make_campaign()
    for index in range(6):
        make_reachable(name=f"Dr Member {index}")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    _send_now(app, mailing_id)
    sent, sent_before_the_second_step = threading.Event(), []
    real_step, real_send = services.queue_step, app.extensions["crm.mailer"].send_bulk

    def wait_for_a_send_before_the_second_step(session, mailing):
        if mailing.recipients == 2:  # the first step is committed: its messages go while the rest waits
            sent_before_the_second_step.append(sent.wait(10))
        real_step(session, mailing)

    def send_bulk(messages):
        sent.set()
        return real_send(messages)

    monkeypatch.setattr(services, "queue_step", wait_for_a_send_before_the_second_step)
    monkeypatch.setattr(app.extensions["crm.mailer"], "send_bulk", send_bulk)
    run_worker(app, once=True, concurrency=2)
    assert sent_before_the_second_step == [True]
    assert len(sendgrid.personal_messages()) == 6 and len(sendgrid.received) >= 2
    session.expire_all()
    assert session.get(Mailing, mailing_id).queued_through is None
