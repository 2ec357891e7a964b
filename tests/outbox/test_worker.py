"""The outbox worker against a fake SendGrid: leases, retries, 429 pause, permanent failures, crash safety."""

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from crm.extensions import db
from crm.outbox.models import OutboundMessage, SendingPause
from crm.outbox.services import paused_until, queue_message, utcnow
from crm.outbox.signals import message_status_changed
from crm.outbox.worker import maintain, run_pass, run_worker
from tests.outbox.fake_sendgrid import event
from tests.outbox.seams import claim_batch


@pytest.fixture
def status_changes(app):
    """Every message_status_changed signal, as (message_id, old, new)."""
    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["message_id"], kwargs["old_status"], kwargs["new_status"]))

    message_status_changed.connect(receiver)
    yield seen
    message_status_changed.disconnect(receiver)


def queue(session, n=1, to="mpp{}@example.org", kind="letter"):
    ids = [
        queue_message(session, kind=kind, to=to.format(i), subject=f"Letter {i}", text=f"Dear MPP {i}").id
        for i in range(n)
    ]
    session.commit()
    return ids


def reload(session, message_id) -> OutboundMessage:
    session.expire_all()
    return session.get(OutboundMessage, message_id)


def make_due(session):
    session.execute(update(OutboundMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def test_worker_hands_a_letter_to_sendgrid_and_keeps_the_provider_message_id(app, session, sendgrid, status_changes):
    [message_id] = queue(session)
    assert run_pass(app, "worker-a") == 1
    message = reload(session, message_id)
    assert message.status == "accepted" and message.attempts == 1 and message.lease_owner is None
    [body] = sendgrid.received
    assert message.provider_message_id and len(message.provider_message_id) == 22
    personalization = body["personalizations"][0]
    assert personalization["to"] == [{"email": "mpp0@example.org"}]
    assert personalization["custom_args"] == {"crm_message_id": str(message_id)}  # opaque ids only
    assert body["subject"] == "Letter 0" and body["content"][0] == {"type": "text/plain", "value": "Dear MPP 0"}
    assert (message_id, "sending", "accepted") in status_changes


def test_mail_redirect_to_sends_everything_to_one_address(app, session, sendgrid):
    queue(session)
    app.config["MAIL_REDIRECT_TO"] = "staging@itpo.example"
    try:
        run_pass(app, "worker-a")
    finally:
        app.config["MAIL_REDIRECT_TO"] = None
    assert sendgrid.received[0]["personalizations"][0]["to"] == [{"email": "staging@itpo.example"}]


def test_server_error_is_retried_later_with_backoff_and_then_accepted(app, session, sendgrid):
    [message_id] = queue(session)
    sendgrid.answer_next(503)
    run_pass(app, "worker-a")
    message = reload(session, message_id)
    assert message.status == "queued" and message.attempts == 1 and "503" in message.last_error
    delay = (message.next_attempt_at - utcnow()).total_seconds()
    base = app.config["MAIL_RETRY_BASE_SECONDS"]
    assert base / 2 - 1 <= delay <= base + 1
    assert run_pass(app, "worker-a") == 0  # not due yet
    make_due(session)
    run_pass(app, "worker-a")
    message = reload(session, message_id)
    assert message.status == "accepted" and message.attempts == 2
    assert list(sendgrid.message_ids().values()) == [1]


def test_backoff_grows_exponentially_with_jitter(app_ctx):
    from crm.outbox.services import backoff_seconds

    base = app_ctx.config["MAIL_RETRY_BASE_SECONDS"]
    for attempts in (1, 3, 5):
        values = {round(backoff_seconds(attempts), 3) for _ in range(20)}
        step = base * 2 ** (attempts - 1)
        assert all(step / 2 <= v <= step for v in values) and len(values) > 1


def test_retries_stop_when_the_time_budget_is_spent(app, session, sendgrid, status_changes):
    [message_id] = queue(session)
    app.config["MAIL_RETRY_BUDGET_SECONDS"] = 0
    try:
        sendgrid.answer_next(500)
        run_pass(app, "worker-a")
    finally:
        app.config["MAIL_RETRY_BUDGET_SECONDS"] = 24 * 3600
    message = reload(session, message_id)
    assert message.status == "failed" and "Gave up after 1 attempts" in message.last_error
    assert (message_id, "sending", "failed") in status_changes


def test_a_timeout_is_retried(app, session, sendgrid):
    [message_id] = queue(session)
    app.extensions["crm.mailer"].timeout = 0.3
    sendgrid.latency = 1.0
    run_pass(app, "worker-a")
    message = reload(session, message_id)
    assert message.status == "queued" and "unreachable" in message.last_error


def test_other_client_errors_fail_at_once(app, session, sendgrid, status_changes):
    [message_id] = queue(session)
    sendgrid.answer_next(400)
    run_pass(app, "worker-a")
    message = reload(session, message_id)
    assert message.status == "failed" and "400" in message.last_error and message.attempts == 1
    make_due(session)
    assert run_pass(app, "worker-a") == 0
    assert (message_id, "sending", "failed") in status_changes


def test_429_pauses_all_sending_until_the_rate_limit_resets(app, session, sendgrid):
    ids = queue(session, 4)
    reset = int(time.time()) + 30
    sendgrid.answer_next(429, {"X-RateLimit-Reset": str(reset)})
    run_pass(app, "worker-a")  # one thread: the first answer is 429, the rest are given back unsent
    assert sendgrid.received == []
    pause = session.get(SendingPause, "provider")
    assert pause.paused_until == datetime.utcfromtimestamp(reset)
    session.expire_all()
    messages = [session.get(OutboundMessage, i) for i in ids]
    assert {m.status for m in messages} == {"queued"} and {m.attempts for m in messages} == {0}
    assert all(m.next_attempt_at <= pause.paused_until for m in messages)
    make_due(session)
    assert run_pass(app, "another-worker") == 0  # every worker honours the pause
    assert sendgrid.received == []
    pause.paused_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert paused_until(session) is None
    run_pass(app, "another-worker")
    assert sorted(sendgrid.message_ids()) == ids


def test_worker_command_sends_concurrently_each_message_once(app, session, sendgrid, runner):
    ids = queue(session, 40)
    sendgrid.latency = 0.02
    result = runner.invoke(args=["crm", "worker", "--once", "--concurrency", "4"])
    assert result.exit_code == 0, result.output
    assert "sent 40 message(s)" in result.output
    assert sendgrid.message_ids() == {i: 1 for i in ids}
    assert set(session.scalars(select(OutboundMessage.status))) == {"accepted"}


def test_four_workers_at_once_send_every_message_exactly_once(app, session, sendgrid):
    ids = queue(session, 200)
    app.config["MAIL_CLAIM_BATCH"] = 10
    try:
        threads = [
            threading.Thread(target=run_worker, args=(app,), kwargs={"once": True, "concurrency": 2}) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        app.config["MAIL_CLAIM_BATCH"] = 100
    assert sendgrid.message_ids() == {i: 1 for i in ids}
    assert set(session.scalars(select(OutboundMessage.status))) == {"accepted"}


def test_personal_bulk_requests_go_out_on_threads_of_their_own_and_letters_on_the_pool(app, session, sendgrid):
    from tests.outbox.test_member_mail import queue_to

    mailer = app.extensions["crm.mailer"]
    threads = {"send": set(), "send_bulk": set()}

    class Watched:
        def send(self, message):
            threads["send"].add(threading.current_thread().name)
            return mailer.send(message)

        def send_bulk(self, messages):
            threads["send_bulk"].add(threading.current_thread().name)
            return mailer.send_bulk(messages)

    queue(session, 30)
    queue_to(session, [(None, f"member{i}@example.org") for i in range(250)], "Act", "Write.")
    session.commit()
    app.extensions["crm.mailer"] = Watched()  # the sendgrid fixture puts the real one back
    bulk_size, app.config["MAIL_BULK_SIZE"] = app.config["MAIL_BULK_SIZE"], 50
    try:
        assert run_worker(app, once=True, concurrency=3) == 280
    finally:
        app.config["MAIL_BULK_SIZE"] = bulk_size
    assert threads["send_bulk"] and all(name.startswith("outbox-bulk-") for name in threads["send_bulk"])
    assert threads["send"] and not any(name.startswith("outbox-bulk-") for name in threads["send"])
    assert len(sendgrid.message_ids()) == 280 and set(sendgrid.message_ids().values()) == {1}


def test_worker_command_sends_bulk_batches_and_letters_together_each_once(app, session, sendgrid):
    from tests.outbox.test_member_mail import queue_to

    queue(session, 30)
    queue_to(session, [(None, f"member{i}@example.org") for i in range(250)], "Act", "Write.")
    session.commit()
    bulk_size, app.config["MAIL_BULK_SIZE"] = app.config["MAIL_BULK_SIZE"], 100
    try:
        assert run_worker(app, once=True, concurrency=3) == 280
    finally:
        app.config["MAIL_BULK_SIZE"] = bulk_size
    assert len(sendgrid.message_ids()) == 280 and set(sendgrid.message_ids().values()) == {1}
    bulk = [
        len(body["personalizations"]) for body in sendgrid.received if "substitutions" in body["personalizations"][0]
    ]
    assert sum(bulk) == 250 and max(bulk) <= 100
    assert set(session.scalars(select(OutboundMessage.status))) == {"accepted"}


def test_a_429_stops_the_worker_command_and_gives_back_what_it_had_not_sent(app, session, sendgrid):
    ids = queue(session, 40)
    sendgrid.answer_next(429, {"X-RateLimit-Reset": str(int(time.time()) + 30)})
    run_worker(app, once=True, concurrency=2)
    session.expire_all()
    assert paused_until(session) is not None
    messages = session.scalars(select(OutboundMessage)).all()
    sent = sendgrid.message_ids()
    assert all(m.status == "accepted" for m in messages if m.id in sent)  # in flight at the 429: recorded
    assert {(m.status, m.attempts) for m in messages if m.id not in sent} == {("queued", 0)}
    session.execute(update(SendingPause).values(paused_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    make_due(session)
    run_worker(app, once=True, concurrency=2)
    assert sendgrid.message_ids() == {i: 1 for i in ids}


def test_a_bug_in_a_sender_leaves_the_message_to_its_lease_and_the_worker_still_finishes(app, session, sendgrid):
    class Broken:
        def send(self, message):
            raise RuntimeError("a bug, not the provider")

        send_bulk = send

    [message_id] = queue(session)
    app.extensions["crm.mailer"] = Broken()  # the sendgrid fixture puts the real one back
    assert run_worker(app, once=True, concurrency=2) == 1
    message = reload(session, message_id)
    assert message.status == "sending" and message.lease_until  # settled like a crash once the lease expires


def test_every_letter_arrives_once_when_a_fifth_of_answers_are_429_or_5xx(app, session, sendgrid):
    ids = queue(session, 60)
    sendgrid.failure_rate = 0.2
    sendgrid.rate_limit_seconds = 0
    for _ in range(200):
        run_pass(app, "worker-a")
        session.execute(update(SendingPause).values(paused_until=utcnow() - timedelta(seconds=1)))
        session.commit()
        make_due(session)
        if set(session.scalars(select(OutboundMessage.status))) == {"accepted"}:
            break
    assert sendgrid.message_ids() == {i: 1 for i in ids}


def crash_after_sending(app, session, sendgrid, message_id):
    """A worker claims the message, SendGrid takes it, and the worker dies before recording that."""
    assert claim_batch(session, "dead-worker", 10) == [message_id]
    session.commit()
    app.extensions["crm.mailer"].send(session.get(OutboundMessage, message_id))
    session.execute(update(OutboundMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    session.commit()


def test_an_expired_lease_makes_the_message_unknown_and_a_processed_event_settles_it(
    app, session, sendgrid, client, status_changes
):
    [message_id] = queue(session)
    crash_after_sending(app, session, sendgrid, message_id)
    app.config.update(MAIL_UNKNOWN_ACTION="resend", MAIL_UNKNOWN_WAIT_SECONDS=0)
    maintain(session)  # the next worker pass would do this too
    session.commit()
    assert (message_id, "sending", "unknown") in status_changes
    message = reload(session, message_id)
    # Without events the wait (0 s here) would resend it; the event arrives first.
    body, headers = sendgrid.signed([event("processed", message_id, provider_id="prov123")])
    message.status = "unknown"  # the resend is undone for this scenario: the event now settles it
    session.execute(update(OutboundMessage).values(status="unknown", unknown_since=utcnow(), possible_duplicate=False))
    session.commit()
    assert client.post("/webhooks/sendgrid", data=body, headers=headers).status_code == 200
    message = reload(session, message_id)
    assert message.status == "accepted" and message.provider_message_id == "prov123"
    make_due(session)
    run_pass(app, "worker-b")
    assert sendgrid.message_ids() == {message_id: 1}  # never resent


def test_unknown_message_is_settled_by_a_stored_event_before_any_resend(app, session, sendgrid, client):
    [message_id] = queue(session)
    crash_after_sending(app, session, sendgrid, message_id)
    # The processed event arrived while the message was still `sending`: it moved it forward at once.
    body, headers = sendgrid.signed([event("processed", message_id, provider_id="p1")])
    assert client.post("/webhooks/sendgrid", data=body, headers=headers).status_code == 200
    app.config.update(MAIL_UNKNOWN_ACTION="resend", MAIL_UNKNOWN_WAIT_SECONDS=0)
    run_pass(app, "worker-b")
    assert reload(session, message_id).status == "accepted"
    assert sendgrid.message_ids() == {message_id: 1}


def test_unknown_message_is_resent_after_the_wait_and_flagged(app, session, sendgrid):
    [message_id] = queue(session)
    crash_after_sending(app, session, sendgrid, message_id)
    app.config.update(MAIL_UNKNOWN_ACTION="resend", MAIL_UNKNOWN_WAIT_SECONDS=0)
    run_pass(app, "worker-b")  # expire -> unknown -> wait over -> queued again (flagged)
    run_pass(app, "worker-b")
    message = reload(session, message_id)
    assert message.status == "accepted" and message.possible_duplicate is True
    assert sendgrid.message_ids() == {message_id: 2}


def test_unknown_message_is_held_for_an_admin_when_so_configured(app, session, sendgrid):
    [message_id] = queue(session)
    crash_after_sending(app, session, sendgrid, message_id)
    app.config.update(MAIL_UNKNOWN_ACTION="hold", MAIL_UNKNOWN_WAIT_SECONDS=0)
    run_pass(app, "worker-b")
    run_pass(app, "worker-b")
    assert reload(session, message_id).status == "unknown"
    assert sendgrid.message_ids() == {message_id: 1}


def test_per_target_throttle_spreads_letters_over_hours(session):
    times = [
        queue_message(
            session, kind="letter", to="busy@example.org", subject="s", text="t", max_per_hour=2
        ).next_attempt_at
        for _ in range(5)
    ]
    now = utcnow()
    assert times[0] <= now and times[1] <= now
    assert times[2] >= now + timedelta(minutes=59) and times[3] >= now + timedelta(minutes=59)
    assert times[4] >= now + timedelta(minutes=119)
    other = queue_message(session, kind="letter", to="quiet@example.org", subject="s", text="t", max_per_hour=2)
    assert other.next_attempt_at <= now
    db.session.rollback()


def test_sendgrid_backend_refuses_to_start_without_an_api_key(tmp_path):
    from crm import create_app

    with pytest.raises(RuntimeError, match="SENDGRID_API_KEY"):
        create_app(
            {"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "MAIL_BACKEND": "sendgrid", "SENDGRID_API_KEY": None}
        )


def test_an_unknown_unknown_action_setting_is_refused(tmp_path):
    from crm import create_app
    from crm.config import ConfigError

    with pytest.raises(ConfigError, match="MAIL_UNKNOWN_ACTION"):
        create_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "MAIL_UNKNOWN_ACTION": "shrug"})


def test_a_pause_is_only_ever_extended(session):
    from crm.outbox.services import pause_sending

    soon, later = utcnow() + timedelta(seconds=30), utcnow() + timedelta(seconds=90)
    pause_sending(session, later, "first 429")
    pause_sending(session, soon, "second 429")
    session.commit()
    session.expire_all()
    pause = session.get(SendingPause, "provider")
    assert pause.paused_until == later and pause.reason == "first 429"
    assert paused_until(session) == later


def test_sendgrid_backend_reuses_one_kept_alive_connection(app, session, sendgrid):
    queue(session, 5)
    opened = sendgrid.connections
    assert run_pass(app, "worker-a") == 5
    assert len(sendgrid.received) == 5 and sendgrid.connections == opened + 1


def test_an_idle_connection_the_server_closed_is_not_reused():
    import socket

    from crm.outbox.backends import _hung_up

    ours, theirs = socket.socketpair()
    assert not _hung_up(ours)
    theirs.close()
    assert _hung_up(ours)
    ours.close()


def test_a_long_pass_job_does_not_hold_up_sending(app, session, sendgrid, monkeypatch):
    """A long-running worker runs its pass jobs (due mailings, scheduled jobs) on a thread of their own: a letter
    queued while a job is still busy goes out at once."""
    from crm.outbox import worker as worker_module

    busy, finish = threading.Event(), threading.Event()

    def slow_job(session, now):  # a first retention pass over a year of letters, say
        busy.set()
        finish.wait(20)

    monkeypatch.setattr(worker_module, "_pass_jobs", [(slow_job, False)])
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app,), kwargs={"concurrency": 2, "interval": 0.05, "stop": stop})
    thread.start()
    try:
        assert busy.wait(10)
        [message_id] = queue(session)
        deadline = time.monotonic() + 10
        while not sendgrid.message_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sendgrid.message_ids() == {message_id: 1}
        assert not finish.is_set()  # the job was still busy while the letter went
    finally:
        finish.set()
        stop.set()
        thread.join(20)
    assert not thread.is_alive()  # the worker waited for the job, then stopped


def test_a_large_mailings_batch_is_claimed_in_order_without_sorting_it_on_postgresql(app, session):
    """After a mailing queues 10,000 messages or more, each sending thread's top-up claim of its batch reads the
    due messages in claim order and stops at the thousand it takes. With the batch column's statistics from an
    empty outbox, PostgreSQL sorted the whole batch on disk for every claim: 100-170 ms each, 13.8 s of the
    100,000-member mailing's PostgreSQL time (issue 23, item 4)."""
    from sqlalchemy import event

    from crm.outbox.bulk import after_queueing_many, queue_personal_emails, start_personal_batch
    from crm.outbox.services import claim_messages

    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner behaviour")
    session.execute(text("ANALYZE outbound_messages"))  # statistics taken while the outbox was empty
    batch = start_personal_batch(session, kind="call_to_action", subject="Write to your MPP")
    emails = [(None, f"member{i}@example.org", "Write", f"Dear member {i}") for i in range(10_000)]
    after_queueing_many(session, len(queue_personal_emails(session, batch, emails)))
    session.commit()
    claims = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outbound_messages"):
            claims.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert len(claim_messages(session, "test", 1000, batch_id=batch.id)) == 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = claims[0]
    plan = "\n".join(row[0] for row in session.connection().exec_driver_sql(f"EXPLAIN {statement}", parameters))
    session.rollback()
    assert "Sort" not in plan, plan


def _terminate(listener) -> None:
    """End the listener's server connection from another one."""
    pid = listener.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    db.session.commit()


def test_without_postgresql_the_jobs_thread_waits_its_interval_or_until_stopped(app):
    from crm.outbox.worker import JobsListener

    listener, stop = JobsListener(None), threading.Event()
    started = time.monotonic()
    assert listener.wait(0.2, stop) is False and time.monotonic() - started >= 0.2
    stop.set()
    assert listener.wait(30, stop) is True


def test_a_lost_listen_connection_leaves_the_worker_waiting_its_interval_on_postgresql(app, caplog):
    from crm.outbox.services import wake_workers
    from crm.outbox.worker import JobsListener

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("LISTEN is PostgreSQL's")
        listener, stop = JobsListener(db.engine), threading.Event()
        wake_workers(db.session)
        db.session.commit()
        assert listener.wait(5, stop) is False and listener.connection is not None  # woken at once
        _terminate(listener)  # as a server restart would
        started = time.monotonic()
        assert listener.wait(0.5, stop) is False  # no exception: it falls back to waiting
        assert listener.connection is None and time.monotonic() - started < 2
        assert "lost its LISTEN connection" in caplog.text
        listener.close()


def test_a_worker_listens_again_after_losing_its_connection_on_postgresql(app, monkeypatch):
    from crm.outbox import worker as worker_module
    from crm.outbox.services import wake_workers

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("LISTEN is PostgreSQL's")
        listener, stop = worker_module.JobsListener(db.engine), threading.Event()
        _terminate(listener)  # as a server restart would
        monkeypatch.setattr(worker_module, "RELISTEN_SECONDS", 0.1)
        listener.wait(0.3, stop)  # finds it lost, waits out its interval
        time.sleep(0.1)
        wake_workers(db.session)  # sent before the next wait listens: not heard
        db.session.commit()
        assert listener.wait(0.3, stop) is False and listener.connection is not None  # listening again
        wake_workers(db.session)
        db.session.commit()
        started = time.monotonic()
        assert listener.wait(5, stop) is False and time.monotonic() - started < 2  # woken, not the 5 s
        listener.close()
