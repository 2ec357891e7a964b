"""The `flask crm ...` commands: parse, call a service, commit, print."""
import time

import click
from flask.cli import AppGroup

from crm.extensions import db

crm_cli = AppGroup("crm", help="ITPO CRM commands.")


def seed_reference_data(session) -> dict[str, object]:
    """Load every shipped reference table; idempotent. Returns what each step added or changed."""
    from crm.programs.services import seed_programs
    from crm.reference.services import seed_jurisdictions, seed_ontario_districts, seed_postal_areas
    from crm.stakeholders.services import seed_ontario_mpps, seed_organizations

    session.info["audit_disabled"] = True  # reference data is not a user's change
    try:
        return {
            "jurisdictions": seed_jurisdictions(session),
            "districts": seed_ontario_districts(session),
            "postal_areas": seed_postal_areas(session),
            "organizations": seed_organizations(session),
            "mpps": seed_ontario_mpps(session),
            "programs": seed_programs(session),
        }
    finally:
        session.info.pop("audit_disabled", None)


@crm_cli.command("seed")
def seed_command():
    """Load the reference data (legislatures, ridings, MPP roster, regulators, FSA table). Safe to repeat."""
    counts = seed_reference_data(db.session)
    db.session.commit()
    for name, value in counts.items():
        click.echo(f"{name}: {value}")


@crm_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["member", "committee", "lead", "admin"]), default="member")
@click.option("--name", default="")
@click.option("--password", envvar="CRM_NEW_USER_PASSWORD", help="Read from CRM_NEW_USER_PASSWORD, or prompted.")
def create_user_command(email, role, name, password):
    """Create a confirmed account (e.g. the first admin)."""
    from crm.auth.services import create_user
    from crm.errors import ValidationError

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


@crm_cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between passes.")
def worker_command(once, interval):
    """Send queued outbox messages."""
    from crm.outbox.worker import send_due_messages

    total = 0
    while True:
        while sent := send_due_messages():
            total += sent
        if once:
            click.echo(f"sent {total} message(s)")
            return
        time.sleep(interval)


@crm_cli.command("send-reminders")
def send_reminders_command():
    """Queue a reminder for every program event starting within a day (each registration once). Run hourly."""
    from crm.programs.services import send_due_reminders

    count = send_due_reminders(db.session)
    db.session.commit()
    click.echo(f"queued {count} reminder(s)")
