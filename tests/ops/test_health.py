"""The admin health page and `crm doctor`: the figures for people, and what is wrong or risky for production."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from crm import create_app
from crm.ops.doctor import check
from crm.ops.models import JobRun
from crm.outbox.models import AddressHealth
from crm.outbox.services import queue_message, utcnow

GOOD_PRODUCTION = {
    "CRM_ENV": "production",
    "SECRET_KEY": "x" * 48,
    "SQLALCHEMY_DATABASE_URI": "postgresql://crm@127.0.0.1/crm",
    "ORG_MAILING_ADDRESS": "ITPO, 123 Real Street, Toronto, ON  M5S 1A1, Canada",
    "MAIL_BACKEND": "sendgrid",
    "SENDGRID_API_KEY": "SG.real",
    "SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkw-real",
    "MAIL_REDIRECT_TO": None,
    "SESSION_COOKIE_SECURE": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "METRICS_TOKEN": "t" * 32,
}


def _production(tmp_path, backup_age: timedelta | None = timedelta(hours=2), **overrides):
    app = create_app({**GOOD_PRODUCTION, "INSTANCE_PATH": tmp_path, **overrides})
    if backup_age is not None:
        (tmp_path / "backups").mkdir(exist_ok=True)
        finished = (datetime.now(UTC) - backup_age).isoformat(timespec="seconds")
        (tmp_path / "backups" / "last_backup.json").write_text(json.dumps({"finished_at": finished, "size": 5_000_000}))
    return app


def test_doctor_passes_a_production_configuration_with_nothing_missing(tmp_path):
    app = _production(tmp_path)
    result = app.test_cli_runner().invoke(args=["crm", "doctor"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)." in result.output


def test_doctor_fails_a_production_configuration_with_the_placeholder_address(tmp_path):
    app = _production(tmp_path, ORG_MAILING_ADDRESS="ITPO, PO Box 00000, Toronto, ON  M5V 0A0, Canada")
    result = app.test_cli_runner().invoke(args=["crm", "doctor"])
    assert result.exit_code == 1
    assert "ERROR    ORG_MAILING_ADDRESS: The CASL footer carries the placeholder mailing address" in result.output


def test_doctor_names_every_production_risk(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    app = _production(
        tmp_path,
        backup_age=timedelta(days=3),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        SENDGRID_WEBHOOK_PUBLIC_KEY=None,
        MAIL_REDIRECT_TO="staging@example.org",
        SESSION_COOKIE_SECURE=False,
        RATELIMIT_STORAGE_URI="counter://",  # in-process, like memory://
        METRICS_TOKEN=None,
    )
    app.config["SENDGRID_API_KEY"] = None  # (the app would not start without it; the doctor says so too)
    found = {finding.setting: finding.level for finding in check(app)}
    assert found == {
        "SENDGRID_API_KEY": "error",
        "SENDGRID_WEBHOOK_PUBLIC_KEY": "error",
        "MAIL_REDIRECT_TO": "error",
        "DATABASE_URL": "error",
        "SESSION_COOKIE_SECURE": "error",
        "RATELIMIT_STORAGE_URI": "error",  # three web processes, each counting apart
        "backup": "error",  # 72 hours old
        "METRICS_TOKEN": "warning",
    }
    assert "72 hours ago" in next(f.message for f in check(app) if f.setting == "backup")


def test_doctor_without_a_backup_and_outside_production_only_warns(app, tmp_path):
    dev = create_app({"CRM_ENV": "development", "INSTANCE_PATH": tmp_path})
    findings = check(dev)
    assert {f.level for f in findings} == {"warning"}
    assert any(f.setting == "backup" and "No backup recorded" in f.message for f in findings)
    assert dev.test_cli_runner().invoke(args=["crm", "doctor"]).exit_code == 0


def test_the_admin_health_page_shows_the_queue_jobs_addresses_roster_disk_and_backup(app, session, browser, make_user):
    now = utcnow()
    old = queue_message(session, kind="letter", to="mpp1@example.org", subject="s", text="t")
    old.created_at = now - timedelta(minutes=30)
    queue_message(session, kind="letter", to="mpp2@example.org", subject="s", text="t")
    session.add(AddressHealth(address="gone@example.org", bounces=3, failing=True, last_reason="550 no such user"))
    session.add(
        JobRun(
            job="reply-surveys",
            due_at=now - timedelta(hours=1),
            worker="w",
            started_at=now - timedelta(hours=1),
            finished_at=now - timedelta(hours=1),
            outcome="failed",
            error="OperationalError: the database went away",
        )
    )
    session.commit()
    admin = make_user(role="admin")
    browser.login(admin.email)
    page = browser.get("/admin/health").get_data(as_text=True)
    assert "Waiting to be sent</dt>" in page and "queued 2" in page and "30 min old" in page
    assert "gone@example.org" in page and "550 no such user" in page
    assert "1 job failed on its last run" in page and 'class="table-danger"' in page
    assert "OperationalError: the database went away" in page
    assert "never seen" in page  # no worker yet
    assert "days old" in page and "MPP roster" in page
    assert "none recorded" in page and "GB free" in page
    assert "ORG_MAILING_ADDRESS" in page  # the doctor's findings (testing: warnings)


def test_leads_and_members_cannot_open_the_health_page(browser, make_user):
    lead = make_user(role="lead")
    browser.login(lead.email)
    assert browser.get("/admin/health").status_code == 403


def _fake_process(proc, pid: int, parent: int, argv: list[str]) -> None:
    (proc / str(pid)).mkdir()
    (proc / str(pid) / "cmdline").write_bytes(b"\0".join(arg.encode() for arg in argv) + b"\0")
    (proc / str(pid) / "stat").write_text(f"{pid} (python3) S {parent} {pid} {pid} 0 -1 4194560 0 0")


def test_doctor_counts_the_gunicorn_workers_running_on_this_machine(tmp_path):
    from crm.ops.doctor import running_gunicorn_workers

    proc = tmp_path / "proc"
    proc.mkdir()
    gunicorn = ["/srv/itpo-crm/.venv/bin/python3", "/srv/itpo-crm/.venv/bin/gunicorn", "--workers", "3", "wsgi:app"]
    _fake_process(proc, 100, 1, gunicorn)  # the master
    for pid in (101, 102, 103):
        _fake_process(proc, pid, 100, gunicorn)
    _fake_process(proc, 200, 1, ["/usr/bin/python3", "-m", "flask", "crm", "worker"])
    _fake_process(proc, 201, 200, ["/usr/bin/python3", "-c", "print('not gunicorn')"])
    (proc / "self").mkdir()
    assert running_gunicorn_workers(proc) == 3
    assert running_gunicorn_workers(tmp_path / "no-proc") == 0  # not Linux: nothing counted, no error


def test_doctor_warns_of_in_memory_rate_limits_when_gunicorn_runs_several_workers(app, tmp_path, monkeypatch):
    from crm.ops import doctor

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.setattr(doctor, "running_gunicorn_workers", lambda: 2)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "counter://")
    finding = next(f for f in check(app) if f.setting == "RATELIMIT_STORAGE_URI")
    assert "2 web processes run" in finding.message
