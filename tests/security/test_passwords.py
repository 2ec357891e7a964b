"""Passwords and recovery codes are kept only as argon2id hashes; older hashes are upgraded at login."""

from argon2 import PasswordHasher
from sqlalchemy import select

from crm.auth.models import User
from crm.auth.passwords import hash_password, verify_password
from tests.conftest import PASSWORD


def test_a_password_is_stored_as_an_argon2id_hash_never_in_clear(make_user, session):
    user = session.get(User, make_user(email="hashed@example.org").id)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert hash_password(PASSWORD) != user.password_hash  # salted: the same password hashes differently
    assert verify_password(user.password_hash, PASSWORD) and not verify_password(user.password_hash, "guess")


def test_a_hash_made_with_weaker_settings_is_replaced_at_the_next_login(app, browser, make_user, session):
    user = make_user(email="old.hash@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    session.get(User, user.id).password_hash = weak
    session.commit()
    assert browser.login("old.hash@example.org").headers["Location"].endswith("/home")
    session.expire_all()
    upgraded = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert upgraded != weak and upgraded.startswith("$argon2id$") and verify_password(upgraded, PASSWORD)
    assert PasswordHasher().check_needs_rehash(upgraded) is False


def test_a_missing_or_broken_hash_never_lets_anyone_in():
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not-a-hash", PASSWORD)
