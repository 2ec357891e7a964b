"""Three `flask crm worker --once` processes started together run each scheduled job once for its due time."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from crm.lib.schedule import registered_jobs
from crm.ops.models import JobRun, WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_url: str, instance, **settings) -> dict:
    """The environment of a `flask --app worker` process on the test's database: development settings, file
    mail, no worker thread, plus `settings`."""
    return dict(
        os.environ,
        CRM_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY="worker-process",
        CRM_INSTANCE_PATH=str(instance),
        MAIL_BACKEND="file",
        MAIL_WORKER_THREAD="false",
        **settings,
    )


def test_three_worker_processes_run_each_due_job_once(app, session, database_url, tmp_path):
    env = worker_env(database_url, tmp_path, SCHEDULED_JOBS="all")
    command = [sys.executable, "-m", "flask", "--app", "worker", "crm", "worker", "--once", "--concurrency", "1"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()[-2000:]
    runs = session.execute(select(JobRun.job, func.count()).group_by(JobRun.job)).all()
    assert dict(runs) == {job.name: 1 for job in registered_jobs()}
    assert set(session.scalars(select(JobRun.outcome))) <= {"ok", "warning"}
    assert session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 3
