"""`flask crm doctor` and the health page's configuration check: what is wrong (an error: a deploy script stops) or
risky for production. Outside production every finding is a warning: they matter once CRM_ENV is production."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BACKUP_MAX_AGE = timedelta(hours=36)  # a daily backup, with a morning's grace
PLACEHOLDER_MARKERS = ("PO Box 00000", "M5V 0A0")  # crm/config.py's default ORG_MAILING_ADDRESS


@dataclass(frozen=True)
class Finding:
    level: str  # error or warning
    setting: str
    message: str


def last_backup(app) -> dict | None:
    """The last successful backup as `crm backup` recorded it (instance/backups/last_backup.json), or None."""
    path = Path(app.instance_path) / "backups" / "last_backup.json"
    try:
        record = json.loads(path.read_text())
        finished = datetime.fromisoformat(record["finished_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    finished = finished if finished.tzinfo else finished.replace(tzinfo=UTC)
    return {**record, "finished_at": finished, "age": datetime.now(UTC) - finished}


def _processes() -> int:
    """How many web processes this deployment runs: what it says (gunicorn's WEB_CONCURRENCY or --workers in
    GUNICORN_CMD_ARGS) or the gunicorn workers running on this machine, whichever is more."""
    counts = [os.environ.get("WEB_CONCURRENCY", "")]
    args = os.environ.get("GUNICORN_CMD_ARGS", "").replace("=", " ").split()
    counts += [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("--workers", "-w")]
    return max([int(count) for count in counts if count.isdigit()] + [running_gunicorn_workers(), 1])


def running_gunicorn_workers(proc: Path = Path("/proc")) -> int:
    """The gunicorn workers running here: gunicorn processes whose parent is a gunicorn process (its master). Reads
    Linux's /proc; elsewhere, or when it cannot be read, 0."""
    gunicorn: dict[str, str] = {}  # pid -> parent pid
    try:
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return 0
    for entry in entries:
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")[:2]
            if not any(b"gunicorn" in Path(arg.decode(errors="replace")).name.encode() for arg in argv):
                continue
            stat = (entry / "stat").read_text()
            gunicorn[entry.name] = stat.rsplit(")", 1)[1].split()[1]  # the field after the state is the ppid
        except (OSError, IndexError):
            continue
    return sum(1 for parent in gunicorn.values() if parent in gunicorn)


def _mail(config) -> list[tuple[bool, str, str]]:
    found = []
    address = config.get("ORG_MAILING_ADDRESS") or ""
    if not address.strip() or any(marker in address for marker in PLACEHOLDER_MARKERS):
        message = "The CASL footer carries the placeholder mailing address: set the real one."
        found.append((True, "ORG_MAILING_ADDRESS", message))
    if config["MAIL_BACKEND"] != "sendgrid":
        found.append((True, "MAIL_BACKEND", f"Mail goes to the {config['MAIL_BACKEND']!r} backend, not SendGrid."))
    else:
        if not config.get("SENDGRID_API_KEY"):
            found.append((True, "SENDGRID_API_KEY", "No SendGrid API key: no mail can be sent."))
        if not config.get("SENDGRID_WEBHOOK_PUBLIC_KEY"):
            message = (
                "No webhook verification key: SendGrid's events (delivered, bounced) are refused, so letters stay "
                "'accepted' and bounces are never counted."
            )
            found.append((True, "SENDGRID_WEBHOOK_PUBLIC_KEY", message))
    if config.get("MAIL_REDIRECT_TO"):
        message = f"Every message goes to {config['MAIL_REDIRECT_TO']} instead of its recipient."
        found.append((True, "MAIL_REDIRECT_TO", message))
    return found


def _web(config) -> list[tuple[bool, str, str]]:
    found = []
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        message = "The database is SQLite: use PostgreSQL in production (one writer at a time)."
        found.append((True, "DATABASE_URL", message))
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append((True, "SESSION_COOKIE_SECURE", "Session cookies are also sent over plain HTTP."))
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(("memory", "counter")):
        processes = _processes()
        several = f" and {processes} web processes run: each counts apart" if processes > 1 else ""
        message = f"Rate limits are kept in each process's memory{several}; use redis:// with several workers."
        found.append((processes > 1, "RATELIMIT_STORAGE_URI", message))
    if not config.get("METRICS_TOKEN"):
        message = "No METRICS_TOKEN: Prometheus cannot scrape /metrics (admins still can)."
        found.append((False, "METRICS_TOKEN", message))
    return found


def _backup(app) -> list[tuple[bool, str, str]]:
    backup = last_backup(app)
    if backup is None:
        return [(True, "backup", "No backup recorded: run `flask crm backup FILE` (and daily from a timer).")]
    if backup["age"] > BACKUP_MAX_AGE:
        hours = int(backup["age"].total_seconds() // 3600)
        return [(True, "backup", f"The last backup finished {hours} hours ago: back up at least daily.")]
    return []


def check(app) -> list[Finding]:
    """Every finding, errors first. Each step gives (an error in production?, setting, message)."""
    production = app.config["CRM_ENV"] == "production"
    found = _mail(app.config) + _web(app.config) + _backup(app)
    findings = [
        Finding("error" if (error and production) else "warning", setting, message) for error, setting, message in found
    ]
    return sorted(findings, key=lambda finding: finding.level != "error")
