"""The scheduled jobs: one registry, each job once per due time however many workers, every run recorded, a failing
job retried at its next due time (never in a tight loop), `crm jobs` and `crm jobs run NAME`."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.lib.schedule import DailyAt, Every, find_job, registered_jobs, scheduled_job, unregister_job
from crm.ops.jobs import _PROCESS, job_statuses, run_due_jobs
from crm.ops.models import JobRun, WorkerHeartbeat

EXPECTED = {
    "follow-up-digests",
    "letter-digests",
    "letter-retention",
    "program-reminders",
    "reply-surveys",
    "roster-staleness",
    "scheduled-mailings",
    "waiting-letters-expiry",
}


@pytest.fixture
def test_jobs(app, monkeypatch):
    """Two jobs of the test's own, the only ones the workers run: one counts its runs, one always raises."""
    calls = {"count": 0, "explode": 0}
    lock = threading.Lock()

    @scheduled_job("test-count", Every(3600), "counts its runs")
    def count(session, now):
        with lock:
            calls["count"] += 1
        return {"things": 3}

    @scheduled_job("test-explode", DailyAt(7), "raises every time")
    def explode(session, now):
        calls["explode"] += 1
        raise RuntimeError("the job broke")

    monkeypatch.setitem(app.config, "SCHEDULED_JOBS", "test-count,test-explode")
    monkeypatch.setitem(_PROCESS, "beats", {})  # this process's threads beat again at once
    yield calls
    unregister_job("test-count")
    unregister_job("test-explode")


def test_every_periodic_task_is_one_registered_job(app):
    assert {job.name for job in registered_jobs()} >= EXPECTED


def test_daily_jobs_fall_due_at_the_hour_in_toronto_across_daylight_saving():
    schedule = DailyAt(hour=7, hour_setting="FOLLOW_UP_DIGEST_HOUR")
    winter, summer = datetime(2026, 12, 5, 13, 0), datetime(2026, 7, 5, 13, 0)
    assert schedule.latest_due(winter, {"FOLLOW_UP_DIGEST_HOUR": 7}) == datetime(2026, 12, 5, 12, 0)  # EST
    assert schedule.latest_due(summer, {"FOLLOW_UP_DIGEST_HOUR": 7}) == datetime(2026, 7, 5, 11, 0)  # EDT
    assert schedule.latest_due(winter, {"FOLLOW_UP_DIGEST_HOUR": 9}) == datetime(2026, 12, 4, 14, 0)  # not yet today
    assert schedule.next_due(winter, {"FOLLOW_UP_DIGEST_HOUR": 9}) == datetime(2026, 12, 5, 14, 0)
    assert Every(3600).latest_due(datetime(2026, 12, 5, 13, 59, 59), {}) == datetime(2026, 12, 5, 13, 0)


def test_a_job_runs_once_per_due_time_and_each_run_is_recorded(app, session, test_jobs):
    now = datetime(2026, 12, 5, 13, 10)
    run_due_jobs(db.session, now)
    run_due_jobs(db.session, now + timedelta(minutes=40))  # same hour: already done
    assert test_jobs["count"] == 1
    run_due_jobs(db.session, now + timedelta(hours=1))
    assert test_jobs["count"] == 2
    runs = session.scalars(select(JobRun).where(JobRun.job == "test-count").order_by(JobRun.due_at)).all()
    assert [run.due_at for run in runs] == [datetime(2026, 12, 5, 13), datetime(2026, 12, 5, 14)]
    assert all(run.outcome == "ok" and run.finished_at and '"things": 3' in run.counts for run in runs)


def test_a_job_that_raises_every_time_is_recorded_and_retried_only_at_its_next_due_time(app, session, test_jobs):
    now = datetime(2026, 12, 5, 13, 10)  # 08:10 Toronto: today's 07:00 is due
    for minutes in range(0, 600, 2):  # a worker's passes for ten hours, every two minutes
        run_due_jobs(db.session, now + timedelta(minutes=minutes))
    assert test_jobs["explode"] == 1  # not once a pass
    failed = session.scalars(select(JobRun).where(JobRun.job == "test-explode")).one()
    assert failed.outcome == "failed" and failed.error == "RuntimeError: the job broke" and failed.finished_at
    assert test_jobs["count"] == 11  # the other job still ran every hour
    run_due_jobs(db.session, now + timedelta(days=1))  # tomorrow's 07:00
    assert test_jobs["explode"] == 2
    status = {s.job.name: s for s in job_statuses(db.session, now + timedelta(days=1))}["test-explode"]
    assert status.failing and status.failures == 2 and status.last_outcome == "failed"
    assert status.next_due == datetime(2026, 12, 7, 12, 0)


def test_three_workers_at_once_run_each_due_job_once(app, test_jobs):
    """Three workers' passes at the same moment (their own connections): one inserts the run's row, the others
    find it taken. On PostgreSQL the second insert waits for the first to commit, then does nothing."""
    now = datetime(2026, 12, 5, 13, 10)
    start = threading.Barrier(3)
    errors = []

    def worker():
        with app.app_context(), Session(db.engine) as session:
            try:
                start.wait()
                for second in range(0, 30, 3):
                    run_due_jobs(session, now + timedelta(seconds=second))
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert test_jobs == {"count": 1, "explode": 1}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2


def test_the_worker_pass_runs_due_jobs_and_beats_the_heartbeat(app, session, test_jobs):
    from crm.outbox.worker import run_worker

    run_worker(app, once=True, concurrency=1)
    assert test_jobs["count"] == 1
    assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 1
    assert session.scalar(select(JobRun.outcome).where(JobRun.job == "test-count")) == "ok"


def test_crm_jobs_lists_the_jobs_and_runs_one_now(app, runner, test_jobs):
    listed = runner.invoke(args=["crm", "jobs"])
    assert listed.exit_code == 0
    assert "test-count" in listed.output and "every 1 h" in listed.output and "never" in listed.output
    ran = runner.invoke(args=["crm", "jobs", "run", "test-count"])
    assert ran.exit_code == 0 and "test-count: ok (things 3" in ran.output
    failed = runner.invoke(args=["crm", "jobs", "run", "test-explode"])
    assert failed.exit_code == 1 and "failed" in failed.output and "RuntimeError: the job broke" in failed.output
    unknown = runner.invoke(args=["crm", "jobs", "run", "no-such-job"])
    assert unknown.exit_code != 0 and "No job named 'no-such-job'" in unknown.output
    listed = runner.invoke(args=["crm", "jobs"])
    assert "test-count" in listed.output and "ok" in listed.output and "RuntimeError: the job broke" in listed.output


def test_the_roster_staleness_job_warns_when_the_roster_is_older_than_ninety_days(app, session):
    from crm.lib.schedule import find_job
    from crm.ops.jobs import run_job

    job = find_job("roster-staleness")
    result = run_job(db.session, job, datetime(2026, 12, 6, 11))
    assert result.outcome == "warning" and "MPP roster is" in result.error
    assert session.scalar(select(JobRun.outcome).where(JobRun.job == "roster-staleness")) == "warning"


def _running_run(session, worker: str, started: datetime) -> None:
    session.add(JobRun(job="test-count", due_at=started, worker=worker, started_at=started))
    session.add(WorkerHeartbeat(name=worker, kind="thread", started_at=started, seen_at=started))
    session.commit()


def test_a_run_whose_worker_stopped_beating_shows_as_abandoned_after_five_minutes(app, session, test_jobs):
    started = datetime(2026, 12, 5, 13, 0)
    _running_run(session, "host:1:outbox-jobs", started)
    status = {s.job.name: s for s in job_statuses(db.session, started + timedelta(minutes=4))}["test-count"]
    assert status.last_outcome == "running" and not status.failing
    status = {s.job.name: s for s in job_statuses(db.session, started + timedelta(minutes=6))}["test-count"]
    assert status.last_outcome == "abandoned" and status.failing  # shown to admins as failing


def test_a_long_job_whose_worker_still_beats_is_running_not_abandoned(app, session, test_jobs):
    started = datetime(2026, 12, 5, 13, 0)
    _running_run(session, "host:1:outbox-jobs", started)
    session.execute(
        WorkerHeartbeat.__table__.update().values(seen_at=started + timedelta(minutes=58))  # the job's keepalive
    )
    session.commit()
    status = {s.job.name: s for s in job_statuses(db.session, started + timedelta(minutes=60))}["test-count"]
    assert status.last_outcome == "running" and not status.failing


def test_the_worker_keeps_beating_while_a_long_job_runs(app, session, monkeypatch):
    import time

    from crm.ops import jobs

    seen = []

    @scheduled_job("test-slow", Every(3600), "takes a while")
    def slow(session_, now):
        time.sleep(0.5)
        with Session(db.engine) as other:
            seen.extend(other.scalars(select(WorkerHeartbeat.seen_at)).all())

    try:
        monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.1)
        result = jobs.run_job(db.session, find_job("test-slow"), datetime(2026, 12, 5, 13))
    finally:
        unregister_job("test-slow")
    assert result.outcome == "ok"
    assert seen, "the worker beat while its job ran"
