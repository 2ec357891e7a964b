"""Login throttling per account: after a few failures for one address, from any number of client addresses, each
next attempt waits twice as long, up to a cap. A delay, never a lockout: the right password after the wait works,
and a password reset starts afresh. Unknown addresses are counted and answered the same way."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from flask_babel import gettext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.audit.services import record
from crm.auth.models import LoginThrottle
from crm.auth.services import find_user_by_email, normalise_email
from crm.lib.i18n import in_language, recipient_language
from crm.outbox.services import dialect_insert, queue_message

clock = datetime.utcnow  # tests put a frozen clock here


def _key(email: str) -> str:
    return normalise_email(email)[:254]


def seconds_to_wait(session: Session, email: str) -> int:
    """How long this address must wait before its next attempt may be checked; 0 when it may try now."""
    blocked_until = session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.email == _key(email)))
    remaining = (blocked_until - clock()).total_seconds() if blocked_until else 0
    return math.ceil(remaining) if remaining > 0 else 0


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` failures: none for the first few, then 1, 2, 4… up to the cap."""
    config = current_app.config
    beyond = failures - config["LOGIN_THROTTLE_FREE_FAILURES"]
    return 0 if beyond < 0 else min(2 ** min(beyond, 40), config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"])


def record_failure(session: Session, email: str) -> None:
    """Count one more failure for this address (locked row, so processes do not lose counts); warn the holder once
    per burst. A burst ends with a login, a reset, or a day without failures."""
    key, now, config = _key(email), clock(), current_app.config
    session.execute(
        dialect_insert(session, LoginThrottle)
        .values(email=key, failures=0)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    row = session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.email == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row.last_failure_at and now - row.last_failure_at > timedelta(seconds=config["LOGIN_THROTTLE_FORGET_SECONDS"]):
        row.failures, row.warned_at = 0, None
    row.failures += 1
    row.last_failure_at = now
    delay = delay_after(row.failures)
    row.blocked_until = now + timedelta(seconds=delay) if delay else None
    if row.failures >= config["LOGIN_THROTTLE_WARN_AFTER"] and row.warned_at is None:
        row.warned_at = now
        _warn(session, row)
    session.flush()


def _warn(session: Session, row: LoginThrottle) -> None:
    """Tell the account's holder (there is none for an unknown address) and write the audit log."""
    user = find_user_by_email(session, row.email)
    if user is not None and user.active:
        with in_language(recipient_language(user)):
            text = render_template(
                "email/login_warning.txt",
                user=user,
                failures=row.failures,
                link=url_for("auth.forgot_password", _external=True),
            )
            subject = gettext("Failed logins to your ITPO account")
        queue_message(
            session,
            kind="login_warning",
            to=user.email,
            subject=subject,
            text=text,
            user_id=user.id,
        )
    entity = ("users", user.id) if user is not None else ("login_throttles", row.id)
    record(session, "login_throttled", *entity, {"failures": row.failures, "email": row.email})


def clear(session: Session, email: str) -> None:
    """Forget the failures of this address: after a login or a password reset."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == _key(email)))


def refusal(seconds: int) -> str:
    """What a throttled login says: the same whether the account exists or not."""
    wait = (
        f"{seconds} second{'s' * (seconds != 1)}"
        if seconds < 60
        else f"{math.ceil(seconds / 60)} minute{'s' * (seconds > 60)}"
    )
    return (
        f"Too many failed attempts to log in with this address. For its safety, wait {wait} and try again, "
        "or reset your password."
    )
