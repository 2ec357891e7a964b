"""PostgreSQL: pg_dump's custom format, taken inside a transaction whose snapshot also gives the row counts (so
the manifest describes exactly the dump). A restore pipes pg_restore's SQL into one psql transaction that ends
by checking every table's count: anything wrong rolls the whole restore back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from crm.backup.archive import Failed, Refused
from crm.backup.schema import upgrade_database

# zlib level 1: at 1,000,000 letters pg_dump takes a third of the default level's time (16 s, not
# 46 s, at load 17 on 2 cores) for a dump 30% larger (112 MB, not 86 MB).
DUMP_COMPRESSION = "--compress=1"
# The restore's index builds: the large demo restored in 59 s with it, 73-101 s with the default.
INDEX_MEMORY = "256MB"
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REVISION = re.compile(r"^[A-Za-z0-9_]+$")
OTHER_SESSIONS = """
    SELECT count(*), coalesce(string_agg(DISTINCT coalesce(nullif(application_name, ''), 'unnamed'), ', '), '')
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""
RELATIONS = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
"""


def _target(url: str) -> tuple[str, str | None, str]:
    """libpq's URI without the password, the password (handed over in PGPASSWORD, never on a command line) and
    the database's name."""
    parsed = make_url(url)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, parsed.password, parsed.database or ""


def connect(url: str, **kwargs) -> psycopg.Connection:
    uri, password, name = _target(url)
    try:
        return psycopg.connect(uri, password=password, **kwargs) if password else psycopg.connect(uri, **kwargs)
    except psycopg.OperationalError as error:
        raise Refused(
            f"Cannot connect to the database {name} ({str(error).strip()}). Check DATABASE_URL; a restore needs "
            "the database created first (createdb)."
        ) from None


def _environment(url: str) -> dict:
    env = dict(os.environ)
    password = _target(url)[1]
    if password:
        env["PGPASSWORD"] = password
    return env


def tool(app, name: str) -> str:
    """The client program `name` from PG_BIN_DIR, or from the PATH."""
    directory = app.config.get("PG_BIN_DIR")
    found = shutil.which(name, path=directory) if directory else shutil.which(name)
    if not found:
        where = f"in PG_BIN_DIR ({directory})" if directory else "on the PATH"
        raise Refused(
            f"{name} was not found {where}. Install the PostgreSQL client programs of the server's major version "
            "(e.g. postgresql-client-16), or set PG_BIN_DIR to their folder."
        )
    return found


def tool_major(path: str) -> int:
    """15 for "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\)\s*(\d+)", output)
    if not match:
        raise Refused(f"Cannot tell which version {path} is (it said {output.strip()!r}).")
    return int(match.group(1))


def describe(connection: psycopg.Connection) -> dict:
    """The schema revision and every table's row count, as the connection's snapshot sees them."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        )
    ]
    if "alembic_version" not in names:
        raise Refused("The database has no schema revision (alembic_version): run `flask db upgrade` first.")
    revision = connection.execute("SELECT version_num FROM public.alembic_version").fetchone()
    count = sql.SQL("SELECT count(*) FROM public.{}")
    tables = {name: connection.execute(count.format(sql.Identifier(name))).fetchone()[0] for name in names}
    return {"schema_revision": revision[0] if revision else "", "tables": tables}


def snapshot(app, url: str, target: Path) -> dict:
    """pg_dump into `target`, refusing a pg_dump of another major version than the server's."""
    pg_dump = tool(app, "pg_dump")
    dump_major = tool_major(pg_dump)
    with connect(url) as connection:
        server_major = connection.info.server_version // 10000
        if dump_major != server_major:
            raise Refused(
                f"pg_dump is version {dump_major} but the server runs PostgreSQL {server_major}: a backup needs the "
                f"same major version. Install postgresql-client-{server_major} and set PG_BIN_DIR to its bin folder."
            )
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        exported = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        description = describe(connection)
        command = [pg_dump, "--format=custom", DUMP_COMPRESSION, f"--snapshot={exported}", f"--file={target}"]
        command.append(_target(url)[0])
        result = subprocess.run(command, capture_output=True, text=True, env=_environment(url), check=False)
        connection.rollback()
        version = f"{server_major}.{connection.info.server_version % 10000}"
    if result.returncode:
        raise Refused(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
    return {**description, "server_version": version, "dump_major": dump_major}


def check_target(app, url: str, force: bool) -> None:
    """Refuse a database others are connected to, or one with tables unless `force` says to replace them."""
    name = _target(url)[2]
    with connect(url, autocommit=True) as connection:
        others, programs = connection.execute(OTHER_SESSIONS).fetchone()
        relations = connection.execute(RELATIONS).fetchone()[0]
    if others:
        raise Refused(
            f"The database {name} is in use: {others} other connection(s) ({programs}). Stop the web server and "
            "the workers and close other sessions (pg_stat_activity lists them), then restore. Nothing was changed."
        )
    if relations and not force:
        raise Refused(
            f"The database {name} is not empty ({relations} tables, sequences or views). Restore into an empty "
            "database, or add --force to replace everything in its public schema with the backup."
        )


def _check_script(manifest: dict) -> str:
    """SQL run last inside the restore's transaction: the revision and every count as the manifest says."""
    if not all(TABLE_NAME.match(name) for name in manifest["tables"]) or not REVISION.match(
        manifest["schema_revision"]
    ):
        raise Refused("This backup's manifest names a table or revision this CRM never has; it was altered.")
    lines = ["DO $restore_check$", "DECLARE found bigint;", "BEGIN"]
    revision = manifest["schema_revision"]
    lines.append(
        f"IF (SELECT version_num FROM public.alembic_version) IS DISTINCT FROM '{revision}' THEN "
        f"RAISE EXCEPTION 'restore check: the schema revision is not {revision}'; END IF;"
    )
    for name, count in manifest["tables"].items():
        lines.append(
            f'SELECT count(*) INTO found FROM public."{name}"; IF found <> {int(count)} THEN '
            f"RAISE EXCEPTION 'restore check: {name} has % rows, the backup says {int(count)}', found; END IF;"
        )
    lines += ["END", "$restore_check$;"]
    return "\n".join(lines) + "\n"


def _pipe(app, url: str, dump: Path, scripts: tuple[Path, Path]) -> None:
    """pg_restore's SQL through psql as one transaction: the preamble, the dump, the check."""
    pg_restore, psql = tool(app, "pg_restore"), tool(app, "psql")
    with tempfile.TemporaryFile() as restore_errors:
        producer = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        consumer = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", _target(url)[0]]
            + ["-f", str(scripts[0]), "-f", "-", "-f", str(scripts[1])],
            stdin=producer.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_environment(url),
            check=False,
        )
        producer.stdout.close()
        if producer.wait() or consumer.returncode:
            producer.kill()
            restore_errors.seek(0)
            said = (restore_errors.read().decode(errors="replace") + consumer.stderr.decode(errors="replace")).strip()
            raise Refused(f"The restore failed and was rolled back; the database is as it was. It said: {said[-2000:]}")


def restore(app, url: str, dump: Path, manifest: dict, force: bool, upgrade: bool) -> None:
    """Restore the dump into the target in one transaction, then run newer migrations and ANALYZE."""
    pg_restore_major = tool_major(tool(app, "pg_restore"))
    if pg_restore_major < int(manifest.get("dump_major") or 0):
        raise Refused(
            f"This backup was made by pg_dump {manifest['dump_major']}; pg_restore here is version "
            f"{pg_restore_major}. Install the newer client programs and set PG_BIN_DIR."
        )
    check_target(app, url, force)
    with tempfile.TemporaryDirectory() as folder:
        preamble, check = Path(folder) / "preamble.sql", Path(folder) / "check.sql"
        replace = "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" if force else ""
        preamble.write_text(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}';\n{replace}")
        check.write_text(_check_script(manifest))
        _pipe(app, url, dump, (preamble, check))
    if upgrade:
        try:
            upgrade_database(app, url)
        except Exception as error:
            raise Failed(
                f"The backup was restored (schema revision {manifest['schema_revision']}), but the migrations "
                f"forward failed: {error}. Fix the cause, then run `flask db upgrade`."
            ) from error
    with connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
