"""Two-step verification: required for staff, never bypassed by a reset, re-checked before sensitive changes;
TOTP keys sealed at rest, recovery codes hashed."""

import re
import time

import pyotp
from sqlalchemy import select, update

from crm.auth.models import RecoveryCode, User
from crm.auth.totp_secrets import is_sealed, seal, unseal
from tests.conftest import PASSWORD, Browser, csrf_from, next_totp_code


def _enrol(browser, email):
    """Go through the setup page as a person would: read the key, answer with its code."""
    page = browser.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r"Key: <code[^>]*>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    response = browser.post("/account/two-step", {"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    return secret, response


def test_staff_without_two_step_must_set_it_up_before_anything_else(browser, make_user, session):
    make_user(role="committee", email="new.committee@example.org", mfa=False)
    browser.login("new.committee@example.org")
    response = browser.get("/home")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-step")
    secret, response = _enrol(browser, "new.committee@example.org")
    page = response.get_data(as_text=True)
    assert "Two-step verification is on" in page, re.findall(r"(?:invalid-feedback|alert)[^>]*>([^<]+)", page)
    assert len(re.findall(r"<li>[0-9a-f]{5}-[0-9a-f]{5}</li>", page)) == 10
    assert browser.get("/home").status_code == 200
    user = session.scalar(select(User).where(User.email == "new.committee@example.org"))
    assert user.mfa_enabled and secret not in user.totp_secret  # stored sealed, not in clear
    assert unseal(user.id, user.totp_secret) == (secret, False)


def test_members_are_not_forced_into_two_step(browser, make_user):
    make_user(email="plain.member@example.org")
    browser.login("plain.member@example.org")
    assert browser.get("/home").status_code == 200


def test_login_with_two_step_needs_a_current_code(browser, make_user):
    make_user(role="lead", email="lead@example.org")
    response = browser.post("/login", {"email": "lead@example.org", "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/verify")
    assert browser.get("/home").status_code == 302  # not logged in yet
    wrong = browser.post("/login/verify", {"code": "000000"})
    assert "not valid" in wrong.get_data(as_text=True)
    ok = browser.post("/login/verify", {"code": next_totp_code(browser.app, "lead@example.org")})
    assert ok.headers["Location"].endswith("/home")
    assert browser.get("/home").status_code == 200


def test_a_code_cannot_be_used_twice(app, browser, make_user):
    make_user(role="admin", email="admin@example.org")
    code = next_totp_code(app, "admin@example.org")
    browser.post("/login", {"email": "admin@example.org", "password": PASSWORD})
    assert browser.post("/login/verify", {"code": code}).status_code == 302
    other = Browser(app.test_client())
    other.post("/login", {"email": "admin@example.org", "password": PASSWORD})
    assert "not valid" in other.post("/login/verify", {"code": code}).get_data(as_text=True)


def test_a_recovery_code_works_once(app, browser, make_user, session):
    make_user(role="committee", email="c@example.org", mfa=False)
    browser.login("c@example.org")
    _, response = _enrol(browser, "c@example.org")
    codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.get_data(as_text=True))
    phone_lost = Browser(app.test_client())
    phone_lost.post("/login", {"email": "c@example.org", "password": PASSWORD})
    assert phone_lost.post("/login/verify", {"code": codes[0]}).headers["Location"].endswith("/home")
    again = Browser(app.test_client())
    again.post("/login", {"email": "c@example.org", "password": PASSWORD})
    assert "not valid" in again.post("/login/verify", {"code": codes[0]}).get_data(as_text=True)
    assert session.scalar(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) is not None


def test_password_reset_does_not_bypass_two_step(browser, mailbox, make_user):
    make_user(role="admin", email="reset.admin@example.org")
    browser.post("/password/forgot", {"email": "reset.admin@example.org"})
    link = mailbox.last_link("/password/reset/")
    browser.post(link, {"password": "new admin passphrase", "confirm": "new admin passphrase"})
    response = browser.post("/login", {"email": "reset.admin@example.org", "password": "new admin passphrase"})
    assert response.headers["Location"].endswith("/login/verify")
    assert browser.get("/admin/users").status_code == 302


def test_sensitive_changes_need_a_recent_identity_check(app, browser, make_user, monkeypatch):
    make_user(role="lead", email="sensitive@example.org")
    browser.login("sensitive@example.org")
    assert browser.get("/password/change").status_code == 200  # just logged in
    import crm.auth.views as views

    later = time.time() + views.RECENT_AUTH_SECONDS + 5
    monkeypatch.setattr(views.time, "time", lambda: later)
    for url in ("/password/change", "/account/email", "/account/two-step"):
        response = browser.get(url)
        assert response.status_code == 302 and "/account/confirm-identity" in response.headers["Location"], url
    wrong = browser.post("/account/confirm-identity", {"password": PASSWORD, "code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    monkeypatch.undo()
    ok = browser.post(
        "/account/confirm-identity?next=/account/email",
        {"password": PASSWORD, "code": next_totp_code(app, "sensitive@example.org"), "next": "/account/email"},
    )
    assert ok.headers["Location"].endswith("/account/email")
    assert browser.get("/account/email").status_code == 200


def test_email_change_happens_only_when_the_new_address_confirms(browser, mailbox, make_user, session):
    user = make_user(email="old@example.org")
    browser.login("old@example.org")
    browser.post("/account/email", {"email": "new@example.org"})
    assert session.get(User, user.id).email == "old@example.org"
    assert mailbox.deliver()[-1]["To"] == "new@example.org"
    link = mailbox.last_link("/account/email/")
    browser.get(link)
    session.expire_all()
    assert session.get(User, user.id).email == "new@example.org"
    assert browser.login("new@example.org").headers["Location"].endswith("/home")


def test_email_change_to_a_taken_address_is_refused(browser, make_user):
    make_user(email="taken@example.org")
    make_user(email="mover@example.org")
    browser.login("mover@example.org")
    response = browser.post("/account/email", {"email": "TAKEN@example.org"})
    assert "Another account uses that address" in response.get_data(as_text=True)


def test_a_totp_key_is_stored_sealed_and_opens_only_for_its_own_account(app_ctx):
    secret = pyotp.random_base32()
    sealed = seal(7, secret)
    assert is_sealed(sealed) and len(sealed) <= 64 and secret not in sealed
    assert unseal(7, sealed) == (secret, False)
    assert unseal(8, sealed) == (None, False)  # copied onto another account's row, it does not open


def test_recovery_codes_are_stored_hashed(browser, make_user, session):
    make_user(role="lead", email="codes@example.org", mfa=False)
    browser.login("codes@example.org")
    _, response = _enrol(browser, "codes@example.org")
    codes = re.findall(r"<li>([0-9a-f]{5})-([0-9a-f]{5})</li>", response.get_data(as_text=True))
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and all(value.startswith("$argon2id$") for value in stored)
    assert not any(first + second in value for first, second in codes for value in stored)


def test_a_key_stored_in_clear_before_sealing_still_works_and_is_sealed_at_the_next_login(browser, make_user, session):
    user = make_user(role="lead", email="legacy@example.org")
    plain = pyotp.random_base32()
    session.execute(update(User).where(User.id == user.id).values(totp_secret=plain))
    session.commit()
    assert browser.login("legacy@example.org").headers["Location"].endswith("/home")
    session.expire_all()
    stored = session.get(User, user.id).totp_secret
    assert is_sealed(stored) and unseal(user.id, stored) == (plain, False)


def test_after_a_secret_key_change_sealed_keys_open_with_the_old_key_listed_as_a_fallback(app_ctx, monkeypatch):
    secret, old_key = pyotp.random_base32(), app_ctx.config["SECRET_KEY"]
    sealed = seal(3, secret)
    monkeypatch.setitem(app_ctx.config, "SECRET_KEY", "a new secret key after a rotation")
    assert unseal(3, sealed) == (None, False)  # staff would need a recovery code
    monkeypatch.setitem(app_ctx.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert unseal(3, sealed) == (secret, True)  # opens, and is to be sealed again with the new key


def test_setting_an_mfa_encryption_key_later_keeps_keys_sealed_with_the_secret_key_working(app_ctx, monkeypatch):
    secret = pyotp.random_base32()
    sealed = seal(3, secret)
    monkeypatch.setitem(app_ctx.config, "MFA_ENCRYPTION_KEY", "a key of its own for TOTP keys")
    assert unseal(3, sealed) == (secret, True)  # still opens, to be sealed again with the new key
    assert seal(3, secret) != sealed and unseal(3, seal(3, secret)) == (secret, False)
    monkeypatch.setitem(app_ctx.config, "SECRET_KEY", "rotated afterwards, with no fallback listed")
    assert unseal(3, seal(3, secret)) == (secret, False)  # the MFA key alone seals and opens


def test_the_migration_seals_keys_stored_in_clear_and_downgrading_opens_them(tmp_path):
    from pathlib import Path

    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import insert

    from crm import create_app
    from crm.extensions import db

    before = ScriptDirectory(str(Path(__file__).parents[2] / "migrations")).get_revision("0012").down_revision
    app = create_app(
        {
            "CRM_ENV": "testing",
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'seal.sqlite3'}",
        }
    )
    plain = pyotp.random_base32()
    with app.app_context():
        upgrade(revision=before)
        # Core, not the ORM: the model has columns later migrations add (users.language, 0041).
        row = {"email": "old.staff@example.org", "name": "Old staff", "password_hash": "x", "role": "admin"}
        user_id = db.session.execute(
            insert(User.__table__).values(**row, active=True, session_version=1, totp_secret=plain)
        ).inserted_primary_key[0]
        db.session.commit()
        upgrade(revision="0012")
        stored = db.session.scalar(select(User.totp_secret))
        assert is_sealed(stored) and unseal(user_id, stored) == (plain, False)
        downgrade(revision=before)
        assert db.session.scalar(select(User.totp_secret)) == plain
        db.session.remove()
        db.engine.dispose()


def test_the_two_step_key_is_shown_in_groups_of_four(browser, make_user):
    make_user(role="committee", email="grouped@example.org", mfa=False)
    browser.login("grouped@example.org")
    page = browser.get("/account/two-step", follow_redirects=True).get_data(as_text=True)
    shown = re.search(r"Key: <code[^>]*>([A-Z2-7 ]+)</code>", page).group(1)
    groups = shown.split(" ")
    assert len(groups) > 1 and all(len(group) == 4 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 4
