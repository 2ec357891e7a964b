"""The admin health page's figures: the same as /metrics, for people without Prometheus."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.ops import doctor, metrics
from crm.ops.jobs import WORKER_SILENT_AFTER, JobStatus, job_statuses, last_worker_seen
from crm.outbox.models import AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import utcnow
from crm.stakeholders.roster import STALE_AFTER_DAYS, roster_as_of

WAITING = ("queued", "deferred", "sending", "unknown")
FOLDER_FILES_COUNTED = 50_000  # the instance folder's size is summed over at most this many files


@dataclass
class Health:
    now: datetime
    waiting: dict[str, int]
    oldest_queued: datetime | None
    last_event: DeliveryEvent | None
    failing_count: int
    failing: list[AddressHealth]
    jobs: list[JobStatus]
    worker_seen: datetime | None
    roster_as_of: datetime
    disk_free: int
    disk_total: int
    folder_bytes: int
    folder_partial: bool
    backup: dict | None
    findings: list[doctor.Finding]

    @property
    def queue_depth(self) -> int:
        return sum(self.waiting.values())

    @property
    def worker_ok(self) -> bool:
        return self.worker_seen is not None and self.now - self.worker_seen <= WORKER_SILENT_AFTER

    @property
    def roster_days(self) -> int:
        return (self.now - self.roster_as_of).days

    @property
    def roster_stale(self) -> bool:
        return self.roster_days > STALE_AFTER_DAYS

    @property
    def backup_stale(self) -> bool:
        return self.backup is None or self.backup["age"] > doctor.BACKUP_MAX_AGE

    @property
    def failing_jobs(self) -> list[JobStatus]:
        return [status for status in self.jobs if status.failing]


def folder_size(path: Path) -> tuple[int, bool]:
    """Bytes under `path` (files only), and whether the count stopped at FOLDER_FILES_COUNTED."""
    total = seen = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            seen += 1
            if seen > FOLDER_FILES_COUNTED:
                return total, True
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total, False


def gather(app, session: Session) -> Health:
    now = utcnow()
    waiting = dict.fromkeys(WAITING, 0) | dict(
        session.execute(
            select(OutboundMessage.status, func.count())
            .where(OutboundMessage.status.in_(WAITING))
            .group_by(OutboundMessage.status)
        ).all()
    )
    instance = Path(app.instance_path)
    usage = shutil.disk_usage(instance if instance.exists() else instance.parent)
    size, partial = folder_size(instance)
    return Health(
        now=now,
        waiting=waiting,
        oldest_queued=session.scalar(select(metrics.oldest_queued())),
        last_event=session.scalars(select(DeliveryEvent).order_by(DeliveryEvent.received_at.desc()).limit(1)).first(),
        failing_count=session.scalar(select(func.count()).where(AddressHealth.failing.is_(True))) or 0,
        failing=session.scalars(
            select(AddressHealth)
            .where(AddressHealth.failing.is_(True))
            .order_by(AddressHealth.last_bounce_at.desc().nulls_last(), AddressHealth.id.desc())
            .limit(20)
        ).all(),
        jobs=job_statuses(session, now),
        worker_seen=last_worker_seen(session),
        roster_as_of=roster_as_of(session),
        disk_free=usage.free,
        disk_total=usage.total,
        folder_bytes=size,
        folder_partial=partial,
        backup=doctor.last_backup(app),
        findings=doctor.check(app),
    )


def age(delta: timedelta | None) -> str:
    """ "3 min", "5 h", "2 days": how long ago, briefly."""
    if delta is None:
        return "—"
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return gettext("%(days)s days", days=seconds // 86400)
