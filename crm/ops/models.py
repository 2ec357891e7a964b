"""What the operator watches: each scheduled job's runs and each worker's heartbeat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db

OUTCOMES = ("running", "ok", "warning", "failed")


class JobRun(db.Model):
    """One run of a scheduled job. The row for (job, due time) is inserted before the job runs and is unique, so
    of several workers only the one whose insert wins runs it: the row is the lease."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "due_at"),
        Index("ix_job_runs_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    due_at: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(10), default="schedule")  # schedule or manual
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(10), default="running")
    counts: Mapped[str | None] = mapped_column(Text)  # JSON: what the job did
    error: Mapped[str | None] = mapped_column(String(1000))  # the exception's type and message, or the warning


class WorkerHeartbeat(db.Model):
    """A worker (`crm worker` process or the development thread) says it is alive every 30 seconds."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # process or thread
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)


class MetricTotal(db.Model):
    """A total over a whole table (outbox messages by status, letters by campaign), read by a worker about once a
    minute so that /metrics never scans a large table while Prometheus waits."""

    __tablename__ = "metric_totals"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime]
