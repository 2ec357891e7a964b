"""The `flask crm ...` commands: parse, call a service, commit, print."""

import click
from flask.cli import AppGroup, with_appcontext

from crm.auth.models import ROLES
from crm.extensions import db

crm_cli = AppGroup("crm", help="ITPO CRM commands.")


def seed_reference_data(session) -> dict[str, object]:
    """Load every shipped reference table; idempotent. Returns what each step added or changed."""
    from crm.lib.sql import analyze
    from crm.programs.services import seed_programs
    from crm.proposals.asks import seed_asks, seed_pra_statuses
    from crm.reference.services import seed_jurisdictions, seed_ontario_districts, seed_postal_areas
    from crm.stakeholders.seed import seed_ontario_mpps, seed_organizations

    session.info["audit_disabled"] = True  # reference data is not a user's change
    try:
        counts = {
            "jurisdictions": seed_jurisdictions(session),
            "districts": seed_ontario_districts(session),
            "postal_areas": seed_postal_areas(session),
            "organizations": seed_organizations(session),
            "mpps": seed_ontario_mpps(session),
            "asks": seed_asks(session),
            "pra_statuses": seed_pra_statuses(session),
            "programs": seed_programs(session),
        }
    finally:
        session.info.pop("audit_disabled", None)
    postgres = session.get_bind().dialect.name == "postgresql"
    # the postal-code lookup's tables, planned with statistics from its first call
    analyze(session, LOOKUP_TABLES + (POSTGRES_LOOKUP_TABLES if postgres else ()))
    return counts


# What /api/v1/lookup reads (crm/api/views.py), loaded by the seed (PostgreSQL: postal_lookup too).
LOOKUP_TABLES = ("jurisdictions", "electoral_districts", "postal_areas", "people", "elected_offices")
POSTGRES_LOOKUP_TABLES = ("postal_lookup",)  # migration 0044


@crm_cli.command("seed")
def seed_command():
    """Load the reference data (legislatures, ridings, MPP roster, regulators, FSA table, asks). Safe to repeat."""
    counts = seed_reference_data(db.session)
    db.session.commit()
    for name, value in counts.items():
        click.echo(f"{name}: {value}")


def _print_import_errors(errors) -> None:
    for row, message in errors:
        click.echo(f"row {row}: {message}" if row else message, err=True)


def _finish(dry_run: bool, summary: str, done: str) -> None:
    """Roll back a dry run, commit a real one, and say which it was."""
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run: {summary}. Nothing was changed.")
    else:
        db.session.commit()
        click.echo(f"{done}: {summary}.")


def _read_file(path: str):
    from pathlib import Path

    from crm.lib.errors import ValidationError
    from crm.stakeholders.files import read_table

    try:
        return read_table(path, Path(path).read_bytes())
    except ValidationError as error:
        raise click.ClickException(error.message) from None


@crm_cli.command("import-stakeholders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def import_stakeholders_command(file, dry_run):
    """Import people from a CSV/XLSX contact sheet (all rows or none)."""
    from crm.stakeholders.imports import import_stakeholders

    report = import_stakeholders(db.session, _read_file(file), apply=not dry_run)
    if report.errors:
        db.session.rollback()
        _print_import_errors(report.errors)
        raise click.ClickException(f"{len(report.errors)} row error(s); nothing was imported.")
    for row in report.rows:
        click.echo(f"row {row.number}: {row.action} {row.name}" + (f" — {row.detail}" if row.detail else ""))
    for words in report.matched_organizations:
        click.echo(f"matched organization: {words}")
    alike = {name: [label for _, label in offered] for name, _, offered in report.look_alikes}
    for name in report.new_organizations:
        similar = f" (looks like {'; '.join(alike[name])}: the web import offers to use it)" if name in alike else ""
        click.echo(f"new organization: {name}{similar}")
    counts = report.counts
    created, updated = ("to create", "to update") if dry_run else ("created", "updated")
    _finish(
        dry_run, f"{counts['create']} {created}, {counts['update']} {updated}, {counts['skip']} unchanged", "Imported"
    )


@crm_cli.command("import-representatives")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show the differences; change nothing.")
@click.option("--jurisdiction", default="ON", show_default=True, help="Legislature the roster belongs to.")
def import_representatives_command(file, dry_run, jurisdiction):
    """Refresh the MPP roster from a file in the shipped roster format (all or nothing)."""
    from crm.stakeholders.roster import refresh_roster

    report = refresh_roster(db.session, _read_file(file), apply=not dry_run, code=jurisdiction.upper())
    if report.errors:
        db.session.rollback()
        _print_import_errors(report.errors)
        raise click.ClickException(f"{len(report.errors)} error(s); the roster was not changed.")
    for change in report.changes:
        click.echo(
            f"{change.kind}: {change.district_number} {change.district_name}"
            + (f": {change.name}" if change.name else "")
            + (f" — {change.detail}" if change.detail else "")
        )
    _finish(dry_run, ", ".join(f"{value} {key}" for key, value in report.counts.items()), "Roster refreshed")


@crm_cli.command("refresh-representatives")
@click.option("--legislature", "code", required=True, help="Legislature code: NS, QC, … or CA (House of Commons).")
@click.option("--dry-run", is_flag=True, help="Show the differences; change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking (the differences are still shown).")
def refresh_representatives_command(code, dry_run, yes):
    """Refresh a legislature's members from the Represent API: show new, changed and left; apply in one go."""
    from crm.legislatures.refresh import refresh_representatives
    from crm.legislatures.sets import UnknownLegislature

    try:
        report = refresh_representatives(db.session, code, apply=False)
    except UnknownLegislature as error:
        raise click.ClickException(str(error)) from None
    db.session.rollback()
    if report.errors:
        _print_import_errors(report.errors)
        raise click.ClickException(f"{len(report.errors)} error(s); the directory was not changed.")
    _print_changes(report.changes + report.unclear)
    summary = ", ".join(f"{value} {key}" for key, value in report.counts.items())
    if not report.changes and not dry_run:
        click.echo(f"The directory already matches Represent: {summary}.")
        return
    if dry_run or not (yes or click.confirm(f"Apply these changes ({summary})?")):
        _finish(True, summary, "")
        return
    shown = report.counts
    report = refresh_representatives(db.session, code, apply=True, items=report.items)  # what was shown
    if report.counts != shown:  # someone changed the directory while the question was open
        _print_changes(report.changes + report.unclear)
    _finish(False, ", ".join(f"{value} {key}" for key, value in report.counts.items()), "Representatives refreshed")


def _print_changes(changes) -> None:
    for change in changes:
        click.echo(
            f"{change.kind}: {change.district_number or '(new riding)'} {change.district_name}"
            + (f": {change.name}" if change.name else "")
            + (f" — {change.detail}" if change.detail else "")
        )


@crm_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(list(ROLES)), default="member")
@click.option("--name", default="")
@click.option("--password", envvar="CRM_NEW_USER_PASSWORD", help="Read from CRM_NEW_USER_PASSWORD, or prompted.")
def create_user_command(email, role, name, password):
    """Create a confirmed account (e.g. the first admin)."""
    from crm.auth.services import create_user
    from crm.lib.errors import ValidationError

    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email=email, password=password, role=role, confirmed=True, name=name)
    except ValidationError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@crm_cli.command("ensure-admin")
@click.option("--email", default="admin@itpo.local")
def ensure_admin_command(email):
    """Development: make sure a local admin exists; prints its password once, when it is created."""
    import secrets
    from pathlib import Path

    from flask import current_app

    from crm.auth.services import create_user, find_user_by_email

    if current_app.config["CRM_ENV"] == "production":
        raise click.ClickException("ensure-admin is for development; use create-user in production.")
    if find_user_by_email(db.session, email):
        click.echo(f"Admin {email} exists (its password is in instance/admin_password.txt).")
        return
    password = "itpo-" + secrets.token_urlsafe(12)
    create_user(db.session, email=email, password=password, role="admin", confirmed=True, name="Local admin")
    db.session.commit()
    path = Path(current_app.instance_path) / "admin_password.txt"
    path.write_text(f"{email}\n{password}\n")
    path.chmod(0o600)
    click.echo(f"Created local admin {email}; password written to {path}")


@crm_cli.command("demo")
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="small: 3,000 members (seconds); large: 50,000 members, about 1,000,000 letters and "
    "200,000 interactions (minutes).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing unless CRM_ENV is development and the database has no members (for `make run`).",
)
def demo_command(scale, if_empty):
    """Fill the database with synthetic members, campaigns, letters, interactions and webinars (demos, benchmarks)."""
    import time

    from flask import current_app

    from crm.dashboards.demo import has_members, load_demo
    from crm.lib.errors import ValidationError

    if current_app.config["CRM_ENV"] == "production":
        raise click.ClickException("The demo data is never loaded in production.")
    if if_empty and (current_app.config["CRM_ENV"] != "development" or has_members(db.session)):
        click.echo("Demo data skipped: the database already has members (or this is not development).")
        return
    started = time.perf_counter()
    seed_reference_data(db.session)
    try:
        counts = load_demo(db.session, scale)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(
        f"Demo data ({scale}): {counts['members']:,} members, {counts['campaigns']} campaigns, "
        f"{counts['letters']:,} letters, {counts['interactions']:,} interactions, "
        f"{counts['registrations']:,} program registrations in {time.perf_counter() - started:.1f}s."
    )


@crm_cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=None, help="Sending threads (default MAIL_WORKER_CONCURRENCY)."
)
@click.option("--interval", default=2.0, show_default=True, help="Seconds between passes when idle.")
def worker_command(once, concurrency, interval):
    """Send queued outbox messages. Run as many as you like, on any hosts sharing the database."""
    import signal
    import sys
    import threading

    from flask import current_app

    from crm.outbox.worker import SWITCH_INTERVAL, run_worker

    sys.setswitchinterval(SWITCH_INTERVAL)  # this process is the worker's alone
    app = current_app._get_current_object()
    stop = threading.Event()
    if not once:
        for name in ("SIGTERM", "SIGINT"):
            signal.signal(getattr(signal, name), lambda *_: stop.set())
    total = run_worker(
        app, once=once, concurrency=concurrency or app.config["MAIL_WORKER_CONCURRENCY"], interval=interval, stop=stop
    )
    click.echo(f"sent {total} message(s)")


@crm_cli.command("url-rules")
def url_rules_command():
    """Write the web app's URL rules to crm/url_rules.json, which the worker app builds mail links from."""
    from flask import current_app

    from crm.lib.url_rules import RULES_FILE, write_url_rules

    if "crm.worker_app" in current_app.extensions:
        raise click.ClickException("Run this with the web app: flask --app wsgi crm url-rules")
    click.echo(f"{write_url_rules(current_app)} rules written to {RULES_FILE}")


@crm_cli.command("send-digests")
@click.option("--days-ahead", default=0, show_default=True, help="Also include follow-ups due within this many days.")
@click.option("--letters", "letters_only", is_flag=True, help="Only the offices' daily letter digests.")
@click.option("--include-today", is_flag=True, help="Letter digests: also send letters written today.")
def send_digests_command(days_ahead, letters_only, include_today):
    """Mail each committee member their due and overdue follow-ups, and each office that asked for one its daily
    digest of letters (the mail worker also sends those after midnight; each office's at most once a day)."""
    from contextlib import nullcontext
    from datetime import date

    from flask import current_app

    from crm.campaigns.digest import send_due_digests
    from crm.interactions.services import queue_follow_up_digests

    letters = send_due_digests(db.session, include_today=include_today)
    db.session.commit()
    click.echo(f"queued {letters} office letter digest(s)")
    if letters_only:
        return
    # Links in the mail need a host: SERVER_NAME when configured, else PUBLIC_BASE_URL.
    context = (
        nullcontext()
        if current_app.config.get("SERVER_NAME")
        else current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"])
    )
    with context:
        queued = queue_follow_up_digests(db.session, date.today(), days_ahead=days_ahead)
    db.session.commit()
    click.echo(f"queued {queued} digest(s)")


@crm_cli.command("send-reminders")
def send_reminders_command():
    """Queue a reminder for every program event starting within a day (each registration once). Run hourly."""
    from crm.programs.services import send_due_reminders

    count = send_due_reminders(db.session)
    db.session.commit()
    click.echo(f"queued {count} reminder(s)")


@crm_cli.command("scrub-letters")
@click.option("--days", type=int, default=None, help="Retention in days (default LETTER_RETENTION_DAYS, 180).")
def scrub_letters_command(days):
    """Remove the words of letters older than the retention period; who, where and when stay (run daily)."""
    from datetime import datetime, timedelta

    from flask import current_app

    from crm.campaigns.privacy import scrub_old_letters

    days = days if days is not None else current_app.config["LETTER_RETENTION_DAYS"]
    count = scrub_old_letters(db.session, datetime.utcnow() - timedelta(days=days))
    db.session.commit()
    click.echo(f"scrubbed {count} letter(s) older than {days} days")


@crm_cli.command("send-reply-surveys")
def send_reply_surveys_command():
    """Ask members, 14 days after their letter was delivered, whether the office replied (run hourly)."""
    from crm.replies.services import queue_due_surveys

    count = queue_due_surveys(db.session)
    db.session.commit()
    click.echo(f"queued {count} reply survey(s)")


@crm_cli.command("expire-waiting-letters")
def expire_waiting_letters_command():
    """Delete letters written before joining that were never confirmed, after seven days, text and all (daily)."""
    from crm.campaigns.flow import expire_pending

    count = expire_pending(db.session)
    db.session.commit()
    click.echo(f"deleted {count} waiting letter(s) older than seven days")


@crm_cli.group("mailing")
def mailing_cli():
    """Call-to-action mailings (leads without shell access use the campaign's Mailings page)."""


@mailing_cli.command("send")
@click.option("--campaign", "slug", required=True, help="The campaign's web address (slug).")
@click.option("--segment", "segment_name", required=True, help="The saved segment's name.")
@click.option("--dry-run", is_flag=True, help="Print how many members it would reach; queue nothing.")
def mailing_send_command(slug, segment_name, dry_run):
    """Send the campaign's newest draft mailing to a segment now: its recipients are queued in the outbox."""
    from crm.mailings import commands

    try:
        count, queued = commands.send_draft(db.session, slug, segment_name, dry_run=dry_run)
    except commands.CommandProblem as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None
    if dry_run:
        db.session.rollback()
        click.echo(f"{count:,} member(s) match; nothing was queued (--dry-run).")
        return
    db.session.commit()
    click.echo(f"{count:,} member(s) match; {queued:,} message(s) queued, the rest skipped (see the mailing's page).")


@crm_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--include-secrets", is_flag=True, help="Also store instance/secret_key (keep such a backup as safe as the key)."
)
def backup_command(file, include_secrets):
    """Write a consistent backup of the database and the instance files to FILE while the app runs."""
    from pathlib import Path

    from flask import current_app

    from crm.backup import service

    try:
        result = service.make_backup(current_app, Path(file), include_secrets=include_secrets)
    except service.Refused as problem:
        raise click.ClickException(str(problem)) from None
    manifest = result.manifest
    files = sum(1 for name in manifest["members"] if name.startswith("files/"))
    click.echo(
        f"Backed up {manifest['engine']} (schema {manifest['schema_revision']}, {len(manifest['tables'])} tables, "
        f"{sum(manifest['tables'].values()):,} rows) and {files} file(s) to {result.path} "
        f"({result.size / 1e6:,.1f} MB) in {result.seconds:.1f}s."
    )
    if include_secrets and not manifest["includes_secrets"]:
        click.echo("No instance/secret_key to include: SECRET_KEY comes from the environment; keep it safe yourself.")


@crm_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that is not empty (everything in it is lost).")
def restore_command(file, force):
    """Restore a backup made by `crm backup` into this app's (empty) database and instance folder."""
    from pathlib import Path

    from flask import current_app

    from crm.backup import service

    db.session.remove()
    db.engine.dispose()  # this process's own pooled connections would count as another user of the database
    try:
        result = service.restore_backup(current_app, Path(file), force=force)
    except (service.Refused, service.Failed) as problem:
        raise click.ClickException(str(problem)) from None
    manifest = result.manifest
    click.echo(
        f"Restored the backup of {manifest['created_at']} ({len(manifest['tables'])} tables, "
        f"{sum(manifest['tables'].values()):,} rows, {result.files} file(s)) in {result.seconds:.1f}s."
    )
    if result.upgraded_to:
        click.echo(f"Migrated it from schema {manifest['schema_revision']} to {result.upgraded_to}.")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)


@crm_cli.group("jobs", invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs_cli(context):
    """The scheduled jobs the workers run: each with its schedule, last run and next due time."""
    if context.invoked_subcommand is not None:
        return
    from crm.ops.jobs import job_statuses

    statuses = job_statuses(db.session)
    db.session.rollback()
    for status in statuses:
        last = status.last
        ran = "never" if last is None else f"{last.started_at:%Y-%m-%d %H:%M} UTC {status.last_outcome}"
        click.echo(
            f"{status.job.name:<24} {status.schedule:<26} last: {ran:<32} next: {status.next_due:%Y-%m-%d %H:%M} UTC"
        )
        if last is not None and last.error:
            click.echo(f"{'':<24} {last.error}")
        if status.failures > 1:
            click.echo(f"{'':<24} failed {status.failures} times in a row")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run_command(name):
    """Run the job NAME now (recorded like a scheduled run); exits non-zero if it fails."""
    from crm.lib.schedule import registered_jobs
    from crm.ops.jobs import run_now

    try:
        result = run_now(db.session, name)
    except LookupError:
        names = ", ".join(job.name for job in registered_jobs())
        raise click.ClickException(f"No job named {name!r}. The jobs: {names}.") from None
    counts = ", ".join(f"{key} {value}" for key, value in result.counts.items())
    click.echo(f"{name}: {result.outcome} ({counts})" + (f": {result.error}" if result.error else ""))
    if result.outcome == "failed":
        raise SystemExit(1)


@crm_cli.command("doctor")
def doctor_command():
    """List what is wrong (errors) or risky (warnings) for production; exits 1 on an error, so a deploy can stop."""
    from flask import current_app

    from crm.ops.doctor import check

    findings = check(current_app)
    for finding in findings:
        click.echo(f"{finding.level.upper():<8} {finding.setting}: {finding.message}")
    errors = sum(1 for finding in findings if finding.level == "error")
    click.echo(f"{errors} error(s), {len(findings) - errors} warning(s).")
    if errors:
        raise SystemExit(1)
