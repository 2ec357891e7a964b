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
    """How many web processes this deployment says it runs (gunicorn's WEB_CONCURRENCY or --workers)."""
    counts = [os.environ.get("WEB_CONCURRENCY", "")]
    args = os.environ.get("GUNICORN_CMD_ARGS", "").replace("=", " ").split()
    counts += [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("--workers", "-w")]
    return max([int(count) for count in counts if count.isdigit()] + [1])


def check(app) -> list[Finding]:
    """Every finding, errors first."""
    config = app.config
    production = config["CRM_ENV"] == "production"
    found: list[tuple[bool, str, str]] = []  # (an error in production?, setting, message)

    address = config.get("ORG_MAILING_ADDRESS") or ""
    if not address.strip() or any(m in address for m in PLACEHOLDER_MARKERS):
        found.append(
            (True, "ORG_MAILING_ADDRESS", "The CASL footer carries the placeholder mailing address: set the real one.")
        )
    if config["MAIL_BACKEND"] != "sendgrid":
        found.append((True, "MAIL_BACKEND", f"Mail goes to the {config['MAIL_BACKEND']!r} backend, not SendGrid."))
    else:
        if not config.get("SENDGRID_API_KEY"):
            found.append((True, "SENDGRID_API_KEY", "No SendGrid API key: no mail can be sent."))
        if not config.get("SENDGRID_WEBHOOK_PUBLIC_KEY"):
            found.append(
                (
                    True,
                    "SENDGRID_WEBHOOK_PUBLIC_KEY",
                    "No webhook verification key: SendGrid's events (delivered, bounced) are refused, so letters "
                    "stay 'accepted' and bounces are never counted.",
                )
            )
    if config.get("MAIL_REDIRECT_TO"):
        found.append(
            (True, "MAIL_REDIRECT_TO", f"Every message goes to {config['MAIL_REDIRECT_TO']} instead of its recipient.")
        )
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        found.append(
            (True, "DATABASE_URL", "The database is SQLite: use PostgreSQL in production (one writer at a time).")
        )
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append((True, "SESSION_COOKIE_SECURE", "Session cookies are also sent over plain HTTP."))
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
        several = _processes() > 1
        found.append(
            (
                several,
                "RATELIMIT_STORAGE_URI",
                "Rate limits are kept in each process's memory"
                + (f" and {_processes()} web processes run: each counts apart" if several else "")
                + "; use redis:// when gunicorn runs several workers.",
            )
        )
    backup = last_backup(app)
    if backup is None:
        found.append((True, "backup", "No backup recorded: run `flask crm backup FILE` (and daily from a timer)."))
    elif backup["age"] > BACKUP_MAX_AGE:
        hours = int(backup["age"].total_seconds() // 3600)
        found.append((True, "backup", f"The last backup finished {hours} hours ago: back up at least daily."))
    if not config.get("METRICS_TOKEN"):
        found.append(
            (False, "METRICS_TOKEN", "No METRICS_TOKEN: Prometheus cannot scrape /metrics (admins still can).")
        )
    findings = [
        Finding("error" if (error and production) else "warning", setting, message) for error, setting, message in found
    ]
    return sorted(findings, key=lambda finding: finding.level != "error")
