"""Accounts and roles."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from crm.audit.services import audited
from crm.extensions import db, search_trigram_index
from crm.lib.i18n import N_

# The roles, in one place: the access table (crm/auth/access.py) groups them, every other check asks
# it.
ROLES = ("member", "committee", "lead", "admin")
ROLE_NAMES = (N_("member"), N_("committee"), N_("lead"), N_("admin"))  # for the menu's badge: {{ _(role) }}
STAFF_ROLES = ("committee", "lead", "admin")
LEAD_ROLES = ("lead", "admin")
ADMIN_ROLES = ("admin",)


@audited
class User(UserMixin, db.Model):
    """A person who can log in. Members, committee members, campaign leads and admins."""

    __tablename__ = "users"
    # The one search finds members by name (folded) and email: crm/search, migration 0041 (PostgreSQL).
    __table_args__ = (
        search_trigram_index("users", "name"),
        search_trigram_index("users", "email", folded=False),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member", index=True)
    active: Mapped[bool] = mapped_column(default=True)
    email_confirmed_at: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # sealed: crm/auth/totp_secrets.py
    totp_last_step: Mapped[int | None]  # the last accepted TOTP time step: a code works once
    mfa_enabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]
    # "en" or "fr" once chosen (EN | FR switch, 0041), for pages and emails; unset: browser, English.
    language: Mapped[str | None] = mapped_column(String(5))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None and bool(self.totp_secret)

    @property
    def mfa_required(self) -> bool:
        """Staff accounts must use a second factor."""
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        """The session carries the version, so bumping it ends every session of this user."""
        return f"{self.id}:{self.session_version}"

    def end_all_sessions(self) -> None:
        self.session_version = (self.session_version or 1) + 1

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RecoveryCode(db.Model):
    """A one-time MFA recovery code, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LoginThrottle(db.Model):
    """Failed logins for one typed address, an account's or not; each next attempt waits longer (auth/throttle.py)."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # as typed, lower-cased
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]  # the holder was told during this burst of failures


class Invitation(db.Model):
    """An admin's invitation to open an account with a role: its link (signed, with `nonce`) works once, until
    `expires_at`; resending draws a new nonce, so only the newest link works. Audited explicitly (no nonce)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    nonce: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # once accepted
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def status(self) -> str:
        """pending, accepted, revoked or expired: what the list shows and what a link may do."""
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= datetime.utcnow() else "pending"
