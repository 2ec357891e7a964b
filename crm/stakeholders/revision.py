"""The directory's revision: what an import or a roster refresh checks before it writes what it previewed."""

from __future__ import annotations

from sqlalchemy.orm import Session


def directory_revision(session: Session, *, lock: bool = False) -> int:
    """The directory's revision, moved by triggers on every write an import or a roster refresh reads
    (0019, 0021). With `lock`, writers wait until this transaction ends.
    Design: docs/design-notes.md, "stakeholders/revision.py: directory_revision"."""
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
