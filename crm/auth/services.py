"""Account services: create, authenticate, confirm, reset, change password, role and status."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, url_for
from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.auth.models import ROLES, User
from crm.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from crm.auth.tokens import make_token, read_token
from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, in_language, recipient_language
from crm.outbox.services import queue_message


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session, *, email: str, password: str, role: str = "member", confirmed: bool = False, name: str = ""
) -> User:
    """Add a user; raises ValidationError for a taken email, a weak password or an unknown role."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError("role", gettext("Role must be one of: %(join)s.", join=", ".join(ROLES)))
    if find_user_by_email(session, email) is not None:
        raise ValidationError(
            "email", gettext("An account with this email already exists. Log in, or reset your password.")
        )
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValidationError("password", problem)
    user = User(
        email=email,
        name=name.strip() or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
        active=True,
        email_confirmed_at=datetime.utcnow() if confirmed else None,
        session_version=1,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the email and password match an active account; the same work either way."""
    user = find_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.utcnow()
    session.flush()
    return user


def _send(session: Session, user: User, kind: str, subject: str, template: str, **context) -> None:
    """An account email, in the user's language (`subject` is marked with N_ and translated here)."""
    with in_language(recipient_language(user)):
        text = render_template(f"email/{template}.txt", user=user, **context)
        subject = gettext(subject)
    queue_message(session, kind=kind, to=user.email, subject=subject, text=text, user_id=user.id)


def send_confirmation(session: Session, user: User, next_url: str | None = None, notes: list[str] = ()) -> None:
    """Queue the confirmation link; `next_url` travels signed inside it, so the member gets back to what they
    were doing on any device; `notes` are sentences for the email (e.g. that confirming sends their letter)."""
    token = make_token("confirm", user, next=next_url) if next_url else make_token("confirm", user)
    _send(
        session,
        user,
        "confirm_email",
        N_("Confirm your email for ITPO"),
        "confirm",
        link=url_for("auth.confirm", token=token, _external=True),
        days=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 86400,
        notes=[note for note in notes if note],
    )


def confirmation_next(token: str) -> str | None:
    """The page a confirmation link was made to lead back to (unchecked: pass it through safe_next)."""
    data = read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"]) or {}
    return data.get("next") if isinstance(data.get("next"), str) else None


def confirm_email(session: Session, token: str) -> User | None:
    """Mark the token's user confirmed; None for a bad or expired link."""
    data = read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = datetime.utcnow()
        session.flush()
    return user


def request_password_reset(session: Session, email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        return
    token = make_token("reset", user)
    _send(
        session,
        user,
        "password_reset",
        "Reset your ITPO password",
        "reset",
        link=url_for("auth.reset_password", token=token, _external=True),
        minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    )


def user_for_reset_token(session: Session, token: str) -> User | None:
    data = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = session.get(User, data.get("uid"))
    if user is None or not user.active or user.email != data.get("email") or user.session_version != data.get("v"):
        return None  # a used link is void: the reset bumped the session version
    return user


def set_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session of the user (including the current one)."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise ValidationError("password", problem)
    user.password_hash = hash_password(new_password)
    user.end_all_sessions()
    if user.email_confirmed_at is None:
        user.email_confirmed_at = datetime.utcnow()  # the reset link proved the address
    session.flush()


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise ValidationError("current_password", gettext("That is not your current password."))
    set_password(session, user, new_password)


def set_role(session: Session, actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise ValidationError("role", gettext("Role must be one of: %(join)s.", join=", ".join(ROLES)))
    if user.id == actor.id and role != "admin":
        raise ValidationError("role", gettext("You cannot remove your own admin role; ask another admin."))
    if user.role != role:
        user.role = role
        user.end_all_sessions()
    session.flush()


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise ValidationError(None, gettext("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        if not active:
            user.end_all_sessions()
    session.flush()


def search_users(email_or_name: str | None = None, role: str | None = None):
    """A select of users, newest first, filtered by text and role."""
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if email_or_name:
        pattern = f"%{email_or_name.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(pattern), func.lower(User.name).like(pattern)))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    return stmt


def request_email_change(session: Session, user: User, new_email: str) -> None:
    """Send a confirmation link to the new address; the change happens when it is opened."""
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ValidationError("email", gettext("That is already your email address."))
    if find_user_by_email(session, new_email) is not None:
        raise ValidationError("email", gettext("Another account uses that address."))
    from crm.auth.tokens import _serializer

    token = _serializer("email-change").dumps({"uid": user.id, "new": new_email, "v": user.session_version})
    with in_language(recipient_language(user)):
        text = render_template(
            "email/change_email.txt", user=user, link=url_for("auth.confirm_email_change", token=token, _external=True)
        )
        subject = gettext("Confirm your new email for ITPO")
    queue_message(
        session,
        kind="email_change",
        to=new_email,
        subject=subject,
        text=text,
        user_id=user.id,
    )


def confirm_email_change(session: Session, token: str) -> User | None:
    data = read_token("email-change", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = session.get(User, data.get("uid"))
    if user is None or user.session_version != data.get("v") or find_user_by_email(session, data["new"]):
        return None
    user.email = data["new"]
    user.email_confirmed_at = datetime.utcnow()
    user.end_all_sessions()
    session.flush()
    return user
