"""A sent letter's rows: what the send must read before writing, in one statement, and everything it writes, in
one statement on PostgreSQL (INSERTs and a DELETE in one WITH) and in a few on SQLite, which has no writing WITH.
Why statements of our own: docs/design-notes.md, "campaigns/letter_rows.py".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from crm.campaigns import similarity
from crm.campaigns.models import Letter
from crm.campaigns.similarity_models import LetterSignature
from crm.outbox.models import OutboundMessage

if TYPE_CHECKING:
    import numpy as np

# PostgreSQL: the new rows' ids, drawn with the read, so the write knows every row before it runs.
_NEW_IDS = (
    ", nextval(pg_get_serial_sequence('letters', 'id')) AS letter_id,"
    " nextval(pg_get_serial_sequence('outbound_messages', 'id')) AS message_id,"
    " nextval(pg_get_serial_sequence('outbound_messages', 'id')) AS copy_id"
)


@dataclass(frozen=True)
class Known:
    """What the send learnt before writing: the near-copy check, whether the member's address unsubscribed, and
    (PostgreSQL) the ids the new rows take."""

    check: similarity.SimilarityResult
    suppressed: bool
    ids: dict | None = None


@cache
def _read_statement(postgres: bool, compare: bool):
    """The suppression of the member's address (and the new ids), with the candidate look-alikes when there is a
    signature to compare: one row per candidate, or one row without any."""
    return text(_read_sql(postgres, compare))


def _read_sql(postgres: bool, compare: bool) -> str:
    head = "SELECT (SELECT 1 FROM mail_suppressions WHERE address = :address) AS suppressed"
    head += _NEW_IDS if postgres else ""
    if not compare:
        return f"SELECT h.*, NULL AS candidate_id, NULL AS candidate_signature FROM ({head}) AS h"
    candidates = similarity.candidate_signatures_sql(exclude_writer=True, postgres=postgres)
    return (
        f"SELECT h.*, c.letter_id AS candidate_id, c.signature AS candidate_signature FROM ({head}) AS h"
        f" LEFT JOIN ({candidates}) AS c ON 1 = 1"
    )


def read_before_writing(
    session: Session,
    *,
    campaign_id: int,
    user_id: int,
    address: str,
    sig: np.ndarray | None,
    bands: list[int] | None = None,
) -> Known:
    """One statement: what the letter's check compares it with, and whether its copy may go. `bands`: the
    signature's band hashes when the caller has them (the write stores them too: hashing them twice showed)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    values = {"address": address, "campaign_id": campaign_id, "user_id": user_id}
    if sig is not None:
        hashes = bands if bands is not None else similarity.band_hashes(sig)
        values.update(similarity.hash_values(hashes, postgres=postgres))
    rows = session.execute(_read_statement(postgres, sig is not None), values).all()
    first = rows[0]
    found = [(row.candidate_id, row.candidate_signature) for row in rows if row.candidate_id is not None]
    check = similarity.PERSONAL if sig is None else similarity.score(sig, found)
    ids = {"letter_id": first.letter_id, "message_id": first.message_id, "copy_id": first.copy_id} if postgres else None
    return Known(check, first.suppressed is not None, ids)


@lru_cache(maxsize=64)
def _statement(sql: str):
    """The statement of this SQL, made once: a send has a few shapes (a digest has no email, a short text no
    bands, an unsubscribed member no copy), and parsing the SQL for its parameters showed in every send's profile."""
    return text(sql)


def _insert_sql(table: str, row: dict, prefix: str) -> str:
    columns = ", ".join(row)
    values = ", ".join(f":{prefix}{column}" for column in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({values})"


def _prefixed(row: dict, prefix: str) -> dict:
    return {f"{prefix}{key}": value for key, value in row.items()}


_BANDS_FROM_ARRAY = (
    "INSERT INTO letter_similarity_bands (campaign_id, band_no, band_hash, letter_id)"
    " SELECT :s_campaign_id, h.n - 1, h.hash, :s_letter_id"
    " FROM unnest(CAST(:band_hashes AS bigint[])) WITH ORDINALITY AS h(hash, n)"
)
_FORGET_PENDING = "DELETE FROM pending_letters WHERE user_id = :l_user_id AND campaign_id = :l_campaign_id"


@dataclass
class Rows:
    """A letter's rows. `check_for` and `copy_for` build theirs from the letter's id (the copy links to the
    letter); `bands` is the signature's band hashes, None for a text too short to compare."""

    message: dict | None
    letter: dict
    check_for: Callable[[int], dict]
    bands: list[int] | None
    copy_for: Callable[[int], dict | None]


def write(session: Session, rows: Rows, ids: dict | None) -> int:
    """Write the letter's rows in the caller's transaction; returns the letter's id. With `ids` (PostgreSQL: drawn
    by `read_before_writing`) in one statement, else one statement per row, each id taken from the row before."""
    if ids is None:
        return _write_in_turn(session, rows)
    letter = rows.letter | {"id": ids["letter_id"]}
    message = copy = None
    if rows.message is not None:
        message = rows.message | {"id": ids["message_id"]}
        letter["message_id"] = ids["message_id"]
    copy = rows.copy_for(letter["id"])
    copy = None if copy is None else copy | {"id": ids["copy_id"]}
    check = rows.check_for(letter["id"])
    parts, values = [], _prefixed(letter, "l_") | _prefixed(check, "s_")
    for name, prefix, row in (("office_email", "m_", message), ("member_copy", "c_", copy)):
        if row is not None:
            parts.append(f"{name} AS ({_insert_sql('outbound_messages', row, prefix)})")
            values |= _prefixed(row, prefix)
    parts.append(f"letter_check AS ({_insert_sql('letter_signatures', check, 's_')})")
    if rows.bands is not None:
        parts.append(f"letter_bands AS ({_BANDS_FROM_ARRAY})")
        values["band_hashes"] = rows.bands
    parts.append(f"forgotten AS ({_FORGET_PENDING})")
    # The letter last: a second tab's send of the same letter fails here, on the unique constraint,
    # and the caller rolls the whole statement back.
    session.execute(_statement(f"WITH {', '.join(parts)} {_insert_sql('letters', letter, 'l_')}"), values)
    return letter["id"]


def _write_in_turn(session: Session, rows: Rows) -> int:
    """SQLite: the office's email, the letter, its check and bands, the copy, then the waiting letters go."""
    letter = dict(rows.letter)
    if rows.message is not None:
        letter["message_id"] = session.execute(_INSERT_MESSAGE, rows.message).scalar_one()
    letter_id = session.execute(_INSERT_LETTER, letter).scalar_one()
    session.execute(_INSERT_CHECK, rows.check_for(letter_id))
    if rows.bands is not None:
        hashes = similarity.hash_values(rows.bands, postgres=False)
        session.execute(
            similarity.INSERT_BANDS, {"campaign_id": letter["campaign_id"], "letter_id": letter_id, **hashes}
        )
    copy = rows.copy_for(letter_id)
    if copy is not None:
        session.execute(_INSERT_MESSAGE, copy)
    forget = {"l_user_id": letter["user_id"], "l_campaign_id": letter["campaign_id"]}
    session.execute(_statement(_FORGET_PENDING), forget)
    return letter_id


_INSERT_MESSAGE = insert(OutboundMessage.__table__).returning(OutboundMessage.__table__.c.id)
_INSERT_LETTER = insert(Letter.__table__).returning(Letter.__table__.c.id)
_INSERT_CHECK = insert(LetterSignature.__table__)
