"""Backup and restore benchmark (issue 26, item 2): `crm backup` of a demo database and `crm restore` of that
archive into an empty database, each against a floor measured in the same run on the same data: the bare
engine tool (SQLite's backup API copy; `pg_dump --format=custom --compress=1`, and `pg_restore
--single-transaction` into the empty database).

Scale: the small demo (3,000 members) by default; BENCH_SCALE=large loads the large one (50,000 members,
about 1,000,000 letters), where the issue's limits apply: a backup in under 60 s, a restore in under 120 s.
Loading the large demo takes minutes; to time an existing database instead, set BACKUP_BENCH_SQLITE=<sqlite
URL> or BACKUP_BENCH_POSTGRESQL=<postgresql URL> (read, never changed). The restore goes to a temporary
SQLite file or to the PostgreSQL database `<name>_restore`, which it empties.

`python -m tests.benchmarks.backup_bench [URL]` prints the figures; `run()` returns them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMITS = {"backup_seconds": 60.0, "restore_seconds": 120.0}  # at the large scale (the issue)
# At the small scale: what the archive adds (checksums, tar, manifest, counts, checks) over the bare tool.
RATIO_LIMITS = {"backup_ratio": 4.0, "restore_ratio": 4.0}
FLOOR_PAD_SECONDS = 0.25  # fixed costs (a process, a connection) that a tiny floor would make look huge


def _load(url: str, instance: Path, scale: str) -> None:
    from flask_migrate import upgrade

    from crm.cli import seed_reference_data
    from crm.dashboards.demo import load_demo
    from crm.extensions import db
    from tests.backup.conftest import make_site

    site = make_site(url, instance)
    with site.app_context():
        upgrade()
        seed_reference_data(db.session)
        load_demo(db.session, scale)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _sqlite_floors(source_url: str, folder: Path) -> tuple[float, float]:
    """The backup API copying the live database, then that copy into a new file."""
    source, copy, again = source_url[len("sqlite:///") :], folder / "floor.sqlite3", folder / "floor-again.sqlite3"

    def copy_file(src, dst):
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)
        a.close()
        b.close()

    backup = _timed(lambda: copy_file(source, copy))
    restore = _timed(lambda: copy_file(copy, again))
    copy.unlink()
    again.unlink()
    return backup, restore


def _pg_floors(source_url: str, target_url: str, folder: Path) -> tuple[float, float]:
    """pg_dump of the source, then pg_restore of that dump into the empty target in one transaction."""
    from crm.backup.postgres import DUMP_COMPRESSION, _environment, _target
    from tests.conftest import reset_postgres

    dump = folder / "floor.pgdump"
    backup = _timed(
        lambda: subprocess.run(
            ["pg_dump", "--format=custom", DUMP_COMPRESSION, f"--file={dump}", _target(source_url)[0]],
            check=True,
            env=_environment(source_url),
        )
    )
    restore = _timed(
        lambda: subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "-d", _target(target_url)[0]]
            + [str(dump)],
            check=True,
            env=_environment(target_url),
        )
    )
    dump.unlink()
    reset_postgres(target_url)
    return backup, restore


def _figures(scale: str, backup_s: float, restore_s: float, floors: tuple[float, float]) -> dict:
    ratios = {
        "backup_ratio_unpadded": round(backup_s / max(floors[0], 1e-3), 1),
        "restore_ratio_unpadded": round(restore_s / max(floors[1], 1e-3), 1),
        "backup_ratio": round(backup_s / (floors[0] + FLOOR_PAD_SECONDS), 2),
        "restore_ratio": round(restore_s / (floors[1] + FLOOR_PAD_SECONDS), 2),
    }
    if scale == "large":
        met = backup_s < LIMITS["backup_seconds"] and restore_s < LIMITS["restore_seconds"]
    else:
        met = all(ratios[key] <= limit for key, limit in RATIO_LIMITS.items())
    return {
        "backup_seconds": round(backup_s, 2),
        "restore_seconds": round(restore_s, 2),
        "floor_backup_seconds": round(floors[0], 2),
        "floor_restore_seconds": round(floors[1], 2),
        **ratios,
        "limits": LIMITS if scale == "large" else {**RATIO_LIMITS, "floor_pad_seconds": FLOOR_PAD_SECONDS},
        "target_met": met,
    }


def measure(source_url: str, target_url: str, folder: Path, scale: str) -> dict:
    """Time the floors, `crm backup` and `crm restore`; check the restored counts equal the manifest's."""
    from crm.backup.service import make_backup, restore_backup
    from tests.backup.conftest import make_site

    postgres = source_url.startswith("postgres")
    floors = _pg_floors(source_url, target_url, folder) if postgres else _sqlite_floors(source_url, folder)
    source = make_site(source_url, folder / "source_instance")
    archive = folder / "site.backup"
    made = make_backup(source, archive)
    target = make_site(target_url, folder / "target_instance")
    restored = restore_backup(target, archive)
    counts = _counts(target_url, made.manifest)
    assert counts == made.manifest["tables"], "the restored row counts differ from the backup's"
    return {
        "database": "postgresql" if postgres else "sqlite",
        "scale": scale,
        "rows": sum(made.manifest["tables"].values()),
        "letters": made.manifest["tables"].get("letters"),
        "archive_mb": round(made.size / 1e6, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        **_figures(scale, made.seconds, restored.seconds, floors),
    }


def _counts(url: str, manifest: dict) -> dict:
    if url.startswith("sqlite"):
        from crm.backup.sqlite import describe

        with sqlite3.connect(url[len("sqlite:///") :]) as connection:
            found = describe(connection)["tables"]
        connection.close()
        return found
    from crm.backup.postgres import connect, describe

    with connect(url) as connection:
        return describe(connection)["tables"]


def run(database_url: str | None = None) -> dict:
    """SQLite without a URL, PostgreSQL with one (emptied and filled with the demo, unless an existing source
    is named in BACKUP_BENCH_POSTGRESQL / BACKUP_BENCH_SQLITE)."""
    from tests.backup.conftest import restore_url
    from tests.conftest import reset_postgres

    scale = "large" if os.environ.get("BENCH_SCALE") == "large" else "small"
    folder = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    try:
        if database_url and database_url.startswith("postgres"):
            source = os.environ.get("BACKUP_BENCH_POSTGRESQL")
            if not source:
                source = database_url
                reset_postgres(source)
                _load(source, folder / "load_instance", scale)
            target = restore_url(source)
            reset_postgres(target)
        else:
            source = os.environ.get("BACKUP_BENCH_SQLITE")
            if not source:
                source = f"sqlite:///{folder / 'source.sqlite3'}"
                _load(source, folder / "load_instance", scale)
            target = f"sqlite:///{folder / 'restored.sqlite3'}"
        return measure(source, target, folder, scale)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
