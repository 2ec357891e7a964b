"""Second factor: TOTP (RFC 6238) with one-time recovery codes."""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.auth import totp_secrets
from crm.auth.models import RecoveryCode, User
from crm.auth.passwords import hash_password, verify_password

ISSUER = "ITPO CRM"
RECOVERY_CODE_COUNT = 10
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (allowed by the CSP's img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (±1 for clock drift) whose code matches, or None."""
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int((now or time.time()) // STEP)
    for candidate in (step - 1, step, step + 1):
        if secrets.compare_digest(totp.at(candidate * STEP), code):
            return candidate
    return None


def verify_totp(session: Session, user: User, code: str) -> bool:
    """Accept a current code once: a step at or before the last accepted one is a replay.

    A key stored in clear, or sealed with a previous SECRET_KEY, is sealed with the current key on success."""
    secret, reseal = totp_secrets.unseal(user.id, user.totp_secret)
    if secret is None:
        return False
    step = _matching_step(secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    if reseal:
        user.totp_secret = totp_secrets.seal(user.id, secret)
    session.flush()
    return True


def _format(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def issue_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; returns them in clear, to show once."""
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(code)))
    session.flush()
    return [_format(code) for code in codes]


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one unused recovery code that matches."""
    normalised = (code or "").replace("-", "").replace(" ", "").lower()
    if len(normalised) != 10:
        return False
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for candidate in unused:
        if verify_password(candidate.code_hash, normalised):
            candidate.used_at = datetime.utcnow()
            session.flush()
            return True
    return False


def verify_second_factor(session: Session, user: User, code: str) -> bool:
    """A TOTP code, or else a recovery code."""
    return verify_totp(session, user, code) or use_recovery_code(session, user, code)


def enable(session: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Turn MFA on if the code matches the new secret; returns the recovery codes to show once."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret = totp_secrets.seal(user.id, secret)
    user.totp_last_step = step
    user.mfa_enabled_at = datetime.utcnow()
    user.end_all_sessions()  # other devices must log in again with the new factor
    return issue_recovery_codes(session, user)


def remaining_recovery_codes(session: Session, user: User) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
