"""Password hashing (argon2id) and the password rules."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 256

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to verify against when the email is unknown, so both paths take the same time.

    Made on first use, not at import: hashing takes 64 MB, which processes that never log anyone
    in (the outbox worker, CLI commands) should not pay."""
    return _hasher.hash("not-a-real-password-ever")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords from zxcvbn's frequency list."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Return a sentence saying what is wrong with a new password, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "That password is one of the most common and easily guessed; choose another."
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and lowered == local_part:
        return "Do not use your email address as your password."
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return "Do not use your name as your password."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
