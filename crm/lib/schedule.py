"""The registry of scheduled jobs: each package registers its periodic work here (no import upward); the worker
runs what is due through crm/ops/jobs.py. A schedule only computes due times; it knows no database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

TORONTO = ZoneInfo("America/Toronto")
EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Every:
    """Due at every multiple of `seconds` since 2000-01-01 UTC (hourly: on the hour)."""

    seconds: int

    def latest_due(self, now: datetime, config) -> datetime:
        elapsed = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=elapsed - elapsed % self.seconds)

    def next_due(self, now: datetime, config) -> datetime:
        return self.latest_due(now, config) + timedelta(seconds=self.seconds)

    def describe(self, config) -> str:
        seconds = self.seconds
        return f"every {seconds // 3600} h" if seconds % 3600 == 0 else f"every {seconds // 60} min"


@dataclass(frozen=True)
class DailyAt:
    """Due once a day at `hour`:`minute` Toronto time (the hour may come from a setting: FOLLOW_UP_DIGEST_HOUR)."""

    hour: int = 0
    minute: int = 0
    hour_setting: str | None = None

    def _hour(self, config) -> int:
        if self.hour_setting and config is not None and self.hour_setting in config:
            return int(config[self.hour_setting]) % 24
        return self.hour

    def _at(self, day, config) -> datetime:
        local = datetime(day.year, day.month, day.day, self._hour(config), self.minute, tzinfo=TORONTO)
        return local.astimezone(UTC).replace(tzinfo=None)

    def latest_due(self, now: datetime, config) -> datetime:
        today = now.replace(tzinfo=UTC).astimezone(TORONTO).date()
        due = self._at(today, config)
        return due if due <= now else self._at(today - timedelta(days=1), config)

    def next_due(self, now: datetime, config) -> datetime:
        today = now.replace(tzinfo=UTC).astimezone(TORONTO).date()
        due = self._at(today, config)
        return due if due > now else self._at(today + timedelta(days=1), config)

    def describe(self, config) -> str:
        return f"daily at {self._hour(config):02d}:{self.minute:02d} Toronto"


Schedule = Every | DailyAt


@dataclass(frozen=True)
class Job:
    """A scheduled job: `run(session, now)` flushes (never commits) and returns a count, a dict of counts, or a
    dict with a "warning" (a sentence for admins) among its counts."""

    name: str
    schedule: Schedule
    run: Callable
    description: str


_jobs: dict[str, Job] = {}


def scheduled_job(name: str, schedule: Schedule, description: str):
    """Register the decorated function as the job `name`; registering the same name again replaces it."""

    def register(run: Callable) -> Callable:
        _jobs[name] = Job(name, schedule, run, description)
        return run

    return register


def registered_jobs() -> list[Job]:
    """Every registered job, by name."""
    return [_jobs[name] for name in sorted(_jobs)]


def find_job(name: str) -> Job | None:
    return _jobs.get(name)


def unregister_job(name: str) -> None:
    """Tests: remove a job they registered."""
    _jobs.pop(name, None)
