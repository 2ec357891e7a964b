"""Run the scheduled jobs of crm/lib/schedule.py from every worker pass, each once per due time across all
workers, and record every run in job_runs; beat the worker's heartbeat."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import delete, func, select, union_all, update
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.lib.schedule import Job, find_job, registered_jobs
from crm.ops.models import JobRun, WorkerHeartbeat
from crm.outbox.services import dialect_insert, utcnow
from crm.outbox.worker import add_pass_job

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30
WORKER_SILENT_AFTER = timedelta(minutes=5)  # /healthz says no worker is running after this long without a beat
KEEP_RUNS_DAYS = 30
_PROCESS = {"name": f"{socket.gethostname()}:{os.getpid()}", "started": utcnow(), "beats": {}}  # name → monotonic


def _worker_name() -> str:
    thread = threading.current_thread().name
    return (f"{socket.gethostname()}:{os.getpid()}" + ("" if thread == "MainThread" else f":{thread}"))[:64]


def enabled_jobs(config) -> list[Job]:
    """The jobs this app's workers run: SCHEDULED_JOBS is "all" or a comma-separated list of names."""
    wanted = str(config.get("SCHEDULED_JOBS", "all")).strip()
    if wanted == "all":
        return registered_jobs()
    names = {name.strip() for name in wanted.split(",") if name.strip()}
    return [job for job in registered_jobs() if job.name in names]


def _counts(result) -> tuple[str, dict, str | None]:
    """A job's return value as (outcome, counts, warning)."""
    if result is None:
        return "ok", {}, None
    if isinstance(result, int):
        return "ok", {"count": result}, None
    counts = dict(result)
    warning = counts.pop("warning", None)
    return ("warning" if warning else "ok"), counts, warning


def _link_context(app):
    """Mail a job queues carries links: SERVER_NAME when configured, else PUBLIC_BASE_URL gives the host."""
    if app.config.get("SERVER_NAME"):
        return nullcontext()
    return app.test_request_context(base_url=app.config["PUBLIC_BASE_URL"])


@dataclass
class RunResult:
    job: str
    outcome: str  # ok, warning, failed, or skipped (another worker has this due time)
    counts: dict
    error: str | None = None


def run_job(session: Session, job: Job, due_at: datetime, *, trigger: str = "schedule") -> RunResult:
    """Run `job` for `due_at` unless another worker already has: insert the run's row (unique per job and due
    time) and commit, run the job in its own transaction, then record how it ended. A job that raises is
    recorded as failed and runs again at its next due time."""
    app = current_app._get_current_object()
    started = utcnow()
    claimed = session.execute(
        dialect_insert(session, JobRun)
        .values(job=job.name, due_at=due_at, trigger=trigger, worker=_worker_name(), started_at=started)
        .on_conflict_do_nothing(index_elements=["job", "due_at"])
        .returning(JobRun.id)
    ).scalar()
    session.commit()
    if claimed is None:
        return RunResult(job.name, "skipped", {})
    clock = time.perf_counter()
    try:
        with _link_context(app), _beating(app, _worker_name()):
            result = job.run(session, utcnow())
        session.commit()
        outcome, counts, error = _counts(result)
    except Exception as exc:  # recorded and shown to admins; the next due time tries again
        session.rollback()
        log.exception("scheduled job %s failed (run %s)", job.name, claimed)
        outcome, counts, error = "failed", {}, f"{type(exc).__name__}: {exc}"[:1000]
    counts["seconds"] = round(time.perf_counter() - clock, 3)
    session.execute(
        update(JobRun)
        .where(JobRun.id == claimed)
        .values(finished_at=utcnow(), outcome=outcome, counts=json.dumps(counts), error=error)
    )
    session.commit()
    if outcome == "warning":
        log.warning("scheduled job %s: %s", job.name, error)
    return RunResult(job.name, outcome, counts, error)


def _latest_due(session: Session) -> dict[str, datetime]:
    return dict(session.execute(select(JobRun.job, func.max(JobRun.due_at)).group_by(JobRun.job)).all())


def run_due_jobs(session: Session, now: datetime | None = None) -> list[RunResult]:
    """Run every enabled job whose latest due time has no run yet (one grouped query when nothing is due)."""
    now = now or utcnow()
    config = current_app.config
    done = _latest_due(session)
    session.rollback()
    results = []
    for job in enabled_jobs(config):
        due = job.schedule.latest_due(now, config)
        if done.get(job.name) is not None and done[job.name] >= due:
            continue
        results.append(run_job(session, job, due))
    return results


def run_now(session: Session, name: str) -> RunResult:
    """`crm jobs run NAME`: run one job at once, whatever its schedule (recorded as a manual run)."""
    job = find_job(name)
    if job is None:
        raise LookupError(name)
    return run_job(session, job, datetime.utcnow(), trigger="manual")  # microseconds: never a due time


def _record_beat(session: Session, name: str, now: datetime) -> None:
    kind = "thread" if name.count(":") > 1 else "process"
    session.execute(
        dialect_insert(session, WorkerHeartbeat)
        .values(name=name, kind=kind, started_at=_PROCESS["started"], seen_at=now)
        .on_conflict_do_update(index_elements=["name"], set_={"seen_at": now})
    )


@contextmanager
def _beating(app, name: str):
    """While a job runs (a digest may take minutes), beat for the worker that runs it from a thread of its own, so
    its run shows as running, not abandoned, however long it takes."""
    stop, every = threading.Event(), HEARTBEAT_SECONDS

    def keep_beating() -> None:
        while not stop.wait(every):
            try:
                with app.app_context(), Session(db.engine) as session:
                    _record_beat(session, name, utcnow())
                    session.commit()
            except Exception:  # a missed beat only risks the run looking abandoned; the job goes on
                log.exception("could not beat for %s", name)

    thread = threading.Thread(target=keep_beating, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def beat(session: Session, now: datetime | None = None, *, force: bool = False) -> None:
    """Record that this worker is alive, at most every HEARTBEAT_SECONDS per process and thread."""
    name = _worker_name()
    if not force and time.monotonic() - _PROCESS["beats"].get(name, float("-inf")) < HEARTBEAT_SECONDS:
        return
    now = now or utcnow()
    _record_beat(session, name, now)
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - timedelta(days=1)))
    session.execute(
        delete(JobRun).where(JobRun.started_at < now - timedelta(days=KEEP_RUNS_DAYS), JobRun.outcome != "running")
    )
    session.commit()
    _PROCESS["beats"][name] = time.monotonic()


def last_worker_seen(session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.seen_at)))


@dataclass
class JobStatus:
    """A job as the operator sees it: its schedule, its last run, its next due time."""

    job: Job
    schedule: str
    last: JobRun | None
    next_due: datetime
    failures: int  # failed runs in a row, newest first
    abandoned: bool = False  # the last run is still "running" but its worker has stopped beating

    @property
    def failing(self) -> bool:
        return self.last is not None and (self.last.outcome == "failed" or self.abandoned)

    @property
    def last_outcome(self) -> str:
        if self.last is None:
            return "never run"
        return "abandoned" if self.abandoned else self.last.outcome


def _abandoned(run: JobRun | None, beats: dict[str, datetime], now: datetime) -> bool:
    """A run still "running" whose worker has not beaten for WORKER_SILENT_AFTER died with it (the worker beats
    while its job runs, see _beating)."""
    if run is None or run.outcome != "running":
        return False
    seen = beats.get(run.worker, run.started_at)
    return now - max(seen, run.started_at) > WORKER_SILENT_AFTER


@lru_cache(maxsize=8)
def _recent_runs_statement(names: tuple[str, ...], per_job: int):
    """Built once per set of jobs: constructing these nine SELECTs cost more than running them (9 ms against 1)."""
    parts = [
        select(JobRun.id).where(JobRun.job == name).order_by(JobRun.due_at.desc()).limit(per_job).subquery()
        for name in names
    ]
    ids = union_all(*[select(part.c.id) for part in parts]).subquery()
    return select(JobRun).where(JobRun.id.in_(select(ids.c.id))).order_by(JobRun.due_at.desc())


def _recent_runs(session: Session, names: list[str], per_job: int = 20) -> dict[str, list[JobRun]]:
    """Each job's newest `per_job` runs, newest first: one statement, a UNION ALL of one indexed LIMIT a job."""
    if not names:
        return {}
    runs: dict[str, list[JobRun]] = {name: [] for name in names}
    for run in session.scalars(_recent_runs_statement(tuple(names), per_job)):
        runs[run.job].append(run)
    return runs


def job_statuses(session: Session, now: datetime | None = None) -> list[JobStatus]:
    """Every registered job with its last run, its failures in a row and its next due time (two statements)."""
    now = now or utcnow()
    config = current_app.config
    beats = dict(session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.seen_at)).all())
    jobs = registered_jobs()
    recent = _recent_runs(session, [job.name for job in jobs])
    statuses = []
    for job in jobs:
        runs = recent[job.name]
        streak = 0
        for run in runs:
            if run.outcome != "failed":
                break
            streak += 1
        last = runs[0] if runs else None
        next_due = job.schedule.next_due(now, config)
        abandoned = _abandoned(last, beats, now)
        statuses.append(JobStatus(job, job.schedule.describe(config), last, next_due, streak, abandoned))
    return statuses


def _scheduled_jobs_pass(session: Session, now: datetime) -> None:
    """The worker's pass job: beat, then run the due scheduled jobs (committed run by run)."""
    beat(session, now)
    run_due_jobs(session, now)


add_pass_job(_scheduled_jobs_pass)
