"""Make a backup, restore one. Both return what they did for the command to print, and raise Refused (nothing
changed) with a message for the operator."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crm.backup import postgres, sqlite
from crm.backup.archive import (
    APP_NAME,
    DATABASE_MEMBERS,
    FORMAT_VERSION,
    Failed,
    Refused,
    extract_verified,
    hash_file,
    peek_manifest,
    remove_tree,
    write_archive,
)
from crm.backup.files import discard, prepare_swap, restore_secret_key, stage_files, swap
from crm.backup.schema import code_head, needs_upgrade

__all__ = ["Failed", "Refused", "make_backup", "restore_backup", "last_backup_file"]
ENGINES = {"sqlite": sqlite, "postgresql": postgres}


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict
    seconds: float


@dataclass
class RestoreResult:
    manifest: dict
    upgraded_to: str | None
    files: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def engine_of(url: str) -> str:
    for engine in ENGINES:
        if url.startswith(engine):
            return engine
    raise Refused(f"Backups support SQLite and PostgreSQL; this app's database is {url.split(':')[0]}.")


def key_fingerprint(key: str | None) -> str | None:
    """Tells whether two sites share a SECRET_KEY without revealing it."""
    return hashlib.sha256(b"itpo-crm backup\0" + key.encode()).hexdigest()[:16] if key else None


def last_backup_file(app) -> Path:
    """Where the last successful backup is recorded (the health page and `crm doctor` read it)."""
    return Path(app.instance_path) / "backups" / "last_backup.json"


def _record(app, result: BackupResult, finished_at: datetime) -> None:
    target = last_backup_file(app)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "finished_at": finished_at.isoformat(timespec="seconds"),
        "path": str(result.path),
        "size": result.size,
        "engine": result.manifest["engine"],
        "schema_revision": result.manifest["schema_revision"],
    }
    part = target.with_name(".last_backup.json.part")
    part.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(part, target)


def make_backup(app, target: Path, include_secrets: bool = False) -> BackupResult:
    """Write one archive at `target` (never over an existing file) and record it as the last backup."""
    target = Path(os.path.abspath(target))
    if target.exists():
        raise Refused(f"{target} already exists; a backup never overwrites a file. Choose another name.")
    if not target.parent.is_dir():
        raise Refused(f"The folder {target.parent} does not exist.")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = engine_of(url)
    started, created_at = time.perf_counter(), datetime.now(UTC)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".crm-backup-", dir=target.parent))
    except OSError as error:
        raise Refused(f"Cannot write in {target.parent}: {error.strerror}.") from None
    try:
        database = DATABASE_MEMBERS[engine]
        (staging / database).parent.mkdir(parents=True)
        described = ENGINES[engine].snapshot(app, url, staging / database)
        members = {database: hash_file(staging / database), **stage_files(app, staging, include_secrets)}
        manifest = {
            "app": APP_NAME,
            "format": FORMAT_VERSION,
            "engine": engine,
            "created_at": created_at.isoformat(timespec="seconds"),
            **described,
            "members": members,
            "includes_secrets": any(name.startswith("secrets/") for name in members),
            "secret_key_fingerprint": key_fingerprint(app.config.get("SECRET_KEY")),
        }
        size = write_archive(target, staging, manifest)
    except OSError as error:
        raise Refused(f"The backup could not be written ({error}); no file was left at {target}.") from None
    finally:
        remove_tree(staging)
    result = BackupResult(target, size, manifest, time.perf_counter() - started)
    _record(app, result, datetime.now(UTC))
    return result


def _check_backup(app, source: Path, engine: str) -> tuple[dict, bool]:
    """The cheap refusals first, from the manifest alone: another app, another engine, a newer schema."""
    manifest = peek_manifest(source)
    if manifest["engine"] != engine:
        raise Refused(
            f"This is a backup of a {manifest['engine']} database and this app uses {engine}. Restoring across "
            f"engines is not supported: restore it into a {manifest['engine']} database (set DATABASE_URL)."
        )
    return manifest, needs_upgrade(app, manifest["schema_revision"])


def _warnings(app, manifest: dict, key_restored: bool) -> list[str]:
    warnings = []
    if key_restored:
        warnings.append("The backup's secret key was written to instance/secret_key: restart the app to use it.")
    elif manifest.get("secret_key_fingerprint") not in (None, key_fingerprint(app.config.get("SECRET_KEY"))):
        warnings.append(
            "This backup was made with another SECRET_KEY. Set SECRET_KEY to the old site's (two-step login keys "
            "are sealed with it unless MFA_ENCRYPTION_KEY is set), or those users must enrol again."
        )
    return warnings


def _stage(app, source: Path, staging: Path, manifest: dict) -> list:
    """Extract and check every member, and put the file folders beside the ones they will replace."""
    try:
        if extract_verified(source, staging) != manifest:
            raise Refused(f"{source} changed while it was being read; try again.")
        return prepare_swap(app, staging)
    except OSError as error:
        raise Refused(f"The backup could not be unpacked ({error}). Nothing was changed.") from None


def restore_backup(app, source: Path, force: bool = False) -> RestoreResult:
    """Restore `source` into this app's database and instance folder: verify everything into a staging folder,
    then write the database in one transaction and swap the file folders."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = engine_of(url)
    started = time.perf_counter()
    manifest, upgrade = _check_backup(app, Path(source), engine)
    ENGINES[engine].check_target(app, url, force)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".crm-restore-", dir=app.instance_path))
    pairs: list = []
    try:
        pairs = _stage(app, Path(source), staging, manifest)
        ENGINES[engine].restore(app, url, staging / DATABASE_MEMBERS[engine], manifest, force, upgrade)
        swap(pairs)
        pairs = []
        key_restored = restore_secret_key(app, staging)
    finally:
        discard(pairs)
        remove_tree(staging)
    files = sum(1 for name in manifest["members"] if name.startswith("files/"))
    return RestoreResult(
        manifest,
        code_head(app) if upgrade else None,
        files,
        time.perf_counter() - started,
        _warnings(app, manifest, key_restored),
    )
