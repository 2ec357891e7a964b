"""A worker that queues a mailing hands its messages straight to its own senders (outbox/worker.py: HandOver): they
are written already claimed by it, so a crash before they are sent leaves them under its lease like any claim;
while sending is paused they wait in the queue; a step that fails hands nothing over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crm.extensions import db
from crm.mailings import services
from crm.mailings.models import Mailing
from crm.outbox.models import OutboundMessage
from crm.outbox.services import pause_sending, utcnow
from crm.outbox.worker import run_worker
from tests.mailings.conftest import make_mailing, make_segment
from tests.mailings.test_in_french import _send_now


def _mailing_to(app, make_campaign, make_reachable, members: int) -> int:
    campaign = make_campaign()
    for index in range(members):
        make_reachable(name=f"Dr Member {index}")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    _send_now(app, mailing_id)
    return mailing_id


def _statuses(session) -> dict[str, int]:
    session.expire_all()
    return dict(session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all())


def test_a_mailings_messages_are_handed_over_as_written_and_under_the_workers_lease_when_sent(
    app, session, make_campaign, make_reachable, sendgrid, monkeypatch
):
    from crm.outbox import worker as worker_module

    _mailing_to(app, make_campaign, make_reachable, 3)
    mailer = app.extensions["crm.mailer"]
    real_send, seen = mailer.send_bulk, []
    real_claim, claimed = worker_module.claim_messages, []

    def claim_messages(*args, **kwargs):
        found = real_claim(*args, **kwargs)
        claimed.extend(found)
        return found

    def send_bulk(messages):
        with app.app_context():  # what a crash at this moment would leave behind
            rows = db.session.execute(
                select(OutboundMessage.status, OutboundMessage.lease_owner, OutboundMessage.attempts).where(
                    OutboundMessage.id.in_([message.id for message in messages])
                )
            ).all()
            db.session.remove()
        seen.extend(rows)
        return real_send(messages)

    monkeypatch.setattr(mailer, "send_bulk", send_bulk)
    monkeypatch.setattr(worker_module, "claim_messages", claim_messages)
    run_worker(app, once=True, concurrency=2)
    assert claimed == []  # none was claimed back from the queue: the senders got them as the pass job wrote them
    assert len(seen) == 3
    assert {(status, attempts) for status, _, attempts in seen} == {("sending", 1)}
    assert len({owner for _, owner, _ in seen}) == 1 and seen[0][1]  # one worker's lease
    assert len(sendgrid.personal_messages()) == 3
    assert _statuses(session) == {"accepted": 3}


def test_while_sending_is_paused_a_mailing_is_queued_and_waits(app, session, make_campaign, make_reachable, sendgrid):
    mailing_id = _mailing_to(app, make_campaign, make_reachable, 3)
    with app.app_context():
        pause_sending(db.session, utcnow() + timedelta(minutes=5), "SendGrid 429")
        db.session.commit()
        db.session.remove()
    run_worker(app, once=True, concurrency=2)
    assert session.get(Mailing, mailing_id).recipients == 3
    assert _statuses(session) == {"queued": 3}  # claimed by no one, sent when the pause ends
    assert sendgrid.message_ids() == {}


def test_a_step_that_fails_hands_nothing_over_and_everyone_is_still_sent_once(
    app, session, make_campaign, make_reachable, sendgrid, monkeypatch
):
    monkeypatch.setattr(services, "QUEUE_CHUNK", 2)
    monkeypatch.setattr(services, "QUEUE_STEP", 4)
    _mailing_to(app, make_campaign, make_reachable, 6)
    real, written = services.insert_personal_rows, []

    def fail_after_the_first_chunk_of_a_step(session, rows):
        written.append(len(rows))
        if len(written) == 2:  # the second chunk of the first step: the step rolls back
            raise RuntimeError("the database went away")
        return real(session, rows)

    monkeypatch.setattr(services, "insert_personal_rows", fail_after_the_first_chunk_of_a_step)
    run_worker(app, once=True, concurrency=2)  # the sweep, later in the same pass, queues the mailing again
    assert written[:2] == [2, 2] and len(written) > 2
    # 6 members, 6 emails: the chunk written before the failure never reached the senders
    assert sum(sendgrid.message_ids().values()) == 6 and len(sendgrid.personal_messages()) == 6
    assert _statuses(session) == {"accepted": 6}


def test_a_worker_that_stops_gives_back_what_it_could_not_hand_over(app, session, make_campaign, make_reachable):
    import threading

    from crm.outbox.worker import HandOver, run_pass_jobs

    _mailing_to(app, make_campaign, make_reachable, 3)

    class Stopping:  # a worker told to stop while its senders are full
        stop, owner, bulk_size, app = threading.Event(), "host:1:stopping", 500, None

        def hand(self, unit):
            return False

    worker = Stopping()
    worker.app = app
    with app.app_context():
        run_pass_jobs(db.session, hand_over=HandOver(worker))
        db.session.remove()
    session.expire_all()
    rows = session.execute(select(OutboundMessage.status, OutboundMessage.lease_owner)).all()
    assert rows and set(rows) == {("queued", None)}  # back in the queue for any worker to claim


def test_a_sent_handed_unit_comes_back_to_the_claiming_thread_as_its_size_only():
    """A result may wait for the claiming thread while it records; 500 messages would be 1.2 MB held meanwhile."""
    from crm.outbox.worker import HandedUnit

    receipt = HandedUnit([object(), object(), object()]).receipt()
    assert isinstance(receipt, HandedUnit) and len(receipt) == 3 and set(receipt) == {None}


def test_a_running_worker_starts_a_mailing_sent_now_at_once_not_at_its_next_pass_on_postgresql(
    app, session, make_campaign, make_reachable, sendgrid, monkeypatch
):
    """The click's NOTIFY wakes the worker's jobs thread (JobsListener): with passes a minute apart, a mailing sent
    after a pass is queued and sent within seconds, not at the next pass."""
    import threading
    import time

    import pytest

    from crm.outbox import worker as worker_module

    if db.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the worker's next pass finds the mailing")
    passed = threading.Event()
    monkeypatch.setattr(worker_module, "_pass_jobs", [*worker_module._pass_jobs, (lambda *_: passed.set(), False)])
    campaign = make_campaign()
    for index in range(3):
        make_reachable(name=f"Dr Member {index}")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app,), kwargs={"concurrency": 2, "interval": 60, "stop": stop})
    thread.start()
    try:
        assert passed.wait(20)  # its first pass is over: the next is a minute away
        _send_now(app, mailing_id)
        deadline = time.monotonic() + 15
        while len(sendgrid.personal_messages()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sendgrid.personal_messages()) == 3
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()  # told to stop, it left its wait within a quarter second
