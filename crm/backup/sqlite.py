"""SQLite: the copy is made with the online backup API in one step (a consistent snapshot while the app goes on
writing in WAL mode); a restore copies the checked, migrated copy into the target with the same API, in one
transaction, after making sure no other process has the database open."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from crm.backup.archive import Refused
from crm.backup.schema import upgrade_database

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IN_USE_WAIT_SECONDS = 0.5


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise Refused("Backup and restore need a SQLite database in a file (DATABASE_URL=sqlite:////path/to/file).")
    return Path(database)


def describe(connection: sqlite3.Connection) -> dict:
    """The schema revision and the number of rows in every table of a database copy."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    if "alembic_version" not in names:
        raise Refused("The database has no schema revision (alembic_version): run `flask db upgrade` first.")
    revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    tables = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    return {"schema_revision": revision[0] if revision else "", "tables": tables}


def snapshot(app, url: str, target: Path) -> dict:
    """Copy the live database to `target` and describe the copy."""
    source_path = database_path(url)
    if not source_path.is_file():
        raise Refused(f"There is no database at {source_path} to back up.")
    with closing(sqlite3.connect(source_path, timeout=30)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # pages=-1: one step, so one read transaction sees one state of the database
        description = describe(copy)
    return {**description, "server_version": sqlite3.sqlite_version}


def _claim(connection: sqlite3.Connection, path: Path) -> None:
    """Leave WAL mode, which SQLite allows only when no other connection has the database open: the test that
    the web server and the workers are stopped (an open connection of theirs has read the database)."""
    try:
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    if mode.lower() != "delete":
        raise Refused(
            f"The database {path} is in use: another process (the web server, a worker, a shell) has it open. "
            "Stop them, then restore. Nothing was changed."
        )


def check_target(app, url: str, force: bool) -> None:
    """Refuse a target that is in use, or that holds tables unless `force` says to replace them."""
    path = database_path(url)
    if not path.exists():
        if not path.parent.is_dir():
            raise Refused(f"The folder {path.parent} for the database does not exist.")
        return
    with closing(sqlite3.connect(path, timeout=IN_USE_WAIT_SECONDS)) as connection:
        _claim(connection, path)
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        connection.execute("PRAGMA journal_mode=WAL")
    if tables and not force:
        raise Refused(
            f"The database {path} is not empty ({tables} tables). Restore into an empty database, or add --force "
            "to replace everything in it with the backup."
        )


def check_copy(path: Path, manifest: dict) -> None:
    """The extracted copy holds the revision and the row counts the manifest promises."""
    if not all(TABLE_NAME.match(name) for name in manifest["tables"]):
        raise Refused("This backup's manifest names a table this CRM never has; it was altered.")
    try:
        with closing(sqlite3.connect(path)) as connection:
            found = describe(connection)
    except sqlite3.DatabaseError as error:
        raise Refused(f"The database in this backup cannot be read ({error}); it is damaged.") from None
    if found["schema_revision"] != manifest["schema_revision"] or found["tables"] != manifest["tables"]:
        raise Refused("The database in this backup does not match its manifest (revision or row counts differ).")


def restore(app, url: str, copy: Path, manifest: dict, force: bool, upgrade: bool) -> None:
    """Check and migrate the copy, then write it into the target database in one transaction."""
    check_copy(copy, manifest)
    if upgrade:
        try:
            upgrade_database(app, f"sqlite:///{copy}")
        except Exception as error:
            raise Refused(
                f"The migrations forward failed on the backup's copy ({error}). Nothing was changed."
            ) from error
    check_target(app, url, force)
    path = database_path(url)
    with (
        closing(sqlite3.connect(copy)) as source,
        closing(sqlite3.connect(path, timeout=IN_USE_WAIT_SECONDS)) as target,
    ):
        _claim(target, path)
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
