"""Signed, expiring tokens for email confirmation and password reset."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"crm.auth.{purpose}")


def make_token(purpose: str, user, **extra) -> str:
    """A token bound to the user's id, email and session version (a password change voids it), with `extra`."""
    return _serializer(purpose).dumps({**extra, "uid": user.id, "email": user.email, "v": user.session_version})


def read_token(purpose: str, token: str, max_age: int) -> dict | None:
    """The token's payload, or None if it is forged, garbled or expired."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


NEXT_MAX_AGE = 24 * 3600


def sign_next(path: str | None) -> str | None:
    """`path` signed for a link or form field, so the page after two-step verification cannot be swapped."""
    return _serializer("next").dumps(path) if path else None


def read_next(token: str | None) -> str | None:
    """The path a `sign_next` token carries (unchecked: pass it through safe_next), or None if forged or old."""
    if not token or len(token) > 4096:
        return None
    try:
        path = _serializer("next").loads(token, max_age=NEXT_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    return path if isinstance(path, str) else None
