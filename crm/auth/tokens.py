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
