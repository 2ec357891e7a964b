"""Benchmarks log in as staff the way people do: password, then a two-step code."""

from __future__ import annotations


def login_staff(app, email: str, password: str):
    """Enrol the (existing) staff account in two-step verification and return a logged-in test client."""
    from datetime import datetime

    import pyotp
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.auth.totp_secrets import seal
    from crm.extensions import db
    from tests.conftest import Browser

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if not user.mfa_enabled:
            user.totp_secret, user.mfa_enabled_at = seal(user.id, pyotp.random_base32()), datetime.utcnow()
            db.session.commit()
        db.session.remove()
    browser = Browser(app.test_client())
    response = browser.login(email, password)
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise RuntimeError(f"benchmark login failed for {email}")
    return browser.client
