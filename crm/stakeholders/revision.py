"""The directory's revision: what an import or a roster refresh checks before it writes what it previewed."""

from __future__ import annotations

from sqlalchemy.orm import Session


def directory_revision(session: Session, *, lock: bool = False) -> int:
    """The directory's revision, which triggers move on every write to what an import or a roster refresh reads
    (migrations 0019 and 0021).

    With `lock`, the revision row is locked first, as the first write of the transaction: that waits for other
    writers of the directory to finish (so the value read includes their changes) and keeps them waiting until
    this transaction ends, so nothing changes between reading the revision and writing the import or the roster."""
    connection = session.connection()
    if lock:
        connection.exec_driver_sql("UPDATE directory_revision SET value = value WHERE id = 1")
    return connection.exec_driver_sql("SELECT value FROM directory_revision WHERE id = 1").scalar_one()


def preview_still_current(session: Session, saved: dict | None, preview_format: int) -> bool:
    """Whether a saved preview (a dict with "format" and "revision") may be applied: it was saved by this code's
    `preview_format`, and the directory's revision has not moved since — checked with the revision locked, so
    nothing changes until the caller's transaction ends."""
    if not saved or saved.get("format") != preview_format:
        return False
    return directory_revision(session, lock=True) == saved["revision"]
