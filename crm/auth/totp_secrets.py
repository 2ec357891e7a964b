"""TOTP keys sealed at rest (AES-SIV, bound to the account): a copy of the database alone cannot mint codes.
Keys and rotation: docs/design-notes.md, "auth/totp_secrets.py"."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

PREFIX = "v1$"
MAX_KEY_BYTES = 29  # the longest key whose sealed form fits the 64-character column
_INFO = b"itpo-crm totp secrets v1"
log = logging.getLogger(__name__)


def _cipher(material: str) -> AESSIV:
    """AES-SIV keyed from `material`. Cryptography is imported here: the worker never opens a TOTP key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_INFO).derive(material.encode())
    return AESSIV(key)


def _materials() -> list[str]:
    """The current key material first, then what may have sealed older values: SECRET_KEY (when
    MFA_ENCRYPTION_KEY came later) and the SECRET_KEY_FALLBACKS."""
    config = current_app.config
    candidates = [config.get("MFA_ENCRYPTION_KEY"), config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    return list(dict.fromkeys(key for key in candidates if key))


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


def seal(user_id: int, secret: str) -> str:
    """The base32 TOTP key of this user, sealed for storage."""
    try:
        raw = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    except binascii.Error:
        raise ValueError("a TOTP key is base32 text") from None
    if len(raw) > MAX_KEY_BYTES:
        raise ValueError(f"a TOTP key of {len(raw)} bytes does not fit the column once sealed")
    sealed = _cipher(_materials()[0]).encrypt(raw, [str(user_id).encode()])
    return PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(user_id: int, stored: str | None) -> tuple[str | None, bool]:
    """(the base32 key or None, whether the stored value should be sealed again with the current key).

    None when nothing is stored or no configured key opens it (the person can still use a recovery code).
    """
    if not stored:
        return None, False
    if not is_sealed(stored):
        return stored, True  # kept in clear before sealing existed
    from cryptography.exceptions import InvalidTag

    text = stored[len(PREFIX) :]
    for position, material in enumerate(_materials()):
        try:
            raw = _cipher(material).decrypt(
                base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), [str(user_id).encode()]
            )
        except (InvalidTag, binascii.Error, ValueError):
            continue
        return base64.b32encode(raw).decode().rstrip("="), position > 0
    log.warning(
        "the TOTP key of user %s opens with no configured key (SECRET_KEY or MFA_ENCRYPTION_KEY changed?)", user_id
    )
    return None, False
