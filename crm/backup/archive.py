"""The backup file: a tar whose first member is manifest.json, followed by the database copy and the instance
files, each listed in the manifest with its size and SHA-256. Reading checks the manifest first and every member
while extracting it, so another application's file, a truncated one or an altered one is refused before anything
is restored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import time
from pathlib import Path

APP_NAME = "itpo-crm"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ENGINES = ("sqlite", "postgresql")
DATABASE_MEMBERS = {"sqlite": "database/crm.sqlite3", "postgresql": "database/crm.pgdump"}
SECRET_KEY_MEMBER = "secrets/secret_key"
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
MEMBER_NAME = re.compile(
    rf"^(database/crm\.(sqlite3|pgdump)|files/(proposal_files|program_files)(/{_SEGMENT})+|secrets/secret_key)$"
)
REQUIRED = {"engine": str, "schema_revision": str, "created_at": str, "tables": dict, "members": dict}


class Refused(Exception):
    """A backup or restore that cannot go ahead. The message says why and what to do; nothing was changed."""


class Failed(Exception):
    """A restore that wrote the data but could not finish (the migrations forward failed); the message says
    what state the database is in and what to do."""


def copy_hashed(source: Path, target: Path) -> dict:
    """Copy a file, hashing what was copied (the manifest describes exactly the bytes in the archive)."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def hash_file(path: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def write_archive(target: Path, staging: Path, manifest: dict) -> int:
    """Write the manifest, then each member staged under `staging`, to `target` (readable by its owner only: it
    holds members' personal data). Written beside it and renamed at the end: a crash leaves no half backup.
    Returns its size."""
    part = target.with_name(f".{target.name}.part")
    handle = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(handle, "wb") as out:
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                tar.addfile(info, io.BytesIO(data))
                for name in sorted(manifest["members"]):
                    tar.add(staging / name, arcname=name, recursive=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target.stat().st_size


def check_manifest(manifest: object) -> dict:
    """Refuse a manifest that is not ours, of another format, or malformed; return it."""
    if not isinstance(manifest, dict) or manifest.get("app") != APP_NAME:
        app = manifest.get("app") if isinstance(manifest, dict) else None
        raise Refused(f"This is not an ITPO CRM backup (its manifest names the application {app!r}, not {APP_NAME!r}).")
    if manifest.get("format") != FORMAT_VERSION:
        raise Refused(
            f"This backup is in format {manifest.get('format')!r}; this version of the CRM reads format "
            f"{FORMAT_VERSION}. Restore it with the version of the CRM that made it."
        )
    for key, kind in REQUIRED.items():
        if not isinstance(manifest.get(key), kind):
            raise Refused(f"This backup's manifest is damaged: {key!r} is missing or malformed.")
    if manifest["engine"] not in ENGINES or DATABASE_MEMBERS[manifest["engine"]] not in manifest["members"]:
        raise Refused("This backup's manifest is damaged: it names no database copy for a known engine.")
    for name, entry in manifest["members"].items():
        if not MEMBER_NAME.match(name) or ".." in name.split("/"):
            raise Refused(f"This backup lists a file it may not restore ({name!r}); it was not made by this CRM.")
        if not (
            isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("size"), int)
        ):
            raise Refused(f"This backup's manifest is damaged: no checksum for {name!r}.")
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST_BYTES:
        raise Refused("This is not an ITPO CRM backup (it does not start with the backup's manifest.json).")
    try:
        manifest = json.loads(tar.extractfile(first).read())
    except ValueError:
        raise Refused("This is not an ITPO CRM backup (its manifest.json is not readable JSON).") from None
    return check_manifest(manifest)


def _extract_member(tar: tarfile.TarFile, info: tarfile.TarInfo, manifest: dict, staging: Path) -> None:
    """Write one member under `staging`, hashing it on the way; refuse anything the manifest does not vouch for."""
    expected = manifest["members"].get(info.name)
    if expected is None or not info.isfile():
        raise Refused(f"This backup holds {info.name!r}, which its manifest does not list; it was altered.")
    target = staging / info.name
    if target.exists():
        raise Refused(f"This backup holds {info.name!r} twice; it was altered.")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tar.extractfile(info) as src, open(target, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if size != expected["size"] or digest.hexdigest() != expected["sha256"]:
        raise Refused(f"{info.name} in this backup does not match its checksum: the file is damaged.")


def peek_manifest(path: Path) -> dict:
    """The checked manifest alone (cheap: the first member), so a restore can refuse early."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            return _read_manifest(tar)
    except (tarfile.TarError, EOFError):
        raise Refused(f"{path} is not an ITPO CRM backup (it is not a backup archive, or it is empty).") from None


def extract_verified(path: Path, staging: Path) -> dict:
    """Extract every member into `staging`, checking each against the manifest; return the manifest. A
    truncated, altered or foreign file raises Refused (staging may then hold part of it: the caller removes it)."""
    manifest = peek_manifest(path)
    seen: set[str] = set()
    try:
        with tarfile.open(path, mode="r:") as tar:
            tar.next()  # the manifest, read above
            while (info := tar.next()) is not None:
                _extract_member(tar, info, manifest, staging)
                seen.add(info.name)
    except (tarfile.TarError, EOFError) as error:
        raise Refused(f"{path} is damaged or truncated ({error}); it cannot be restored.") from None
    missing = sorted(set(manifest["members"]) - seen)
    if missing:
        raise Refused(
            f"{path} is truncated or incomplete: {len(missing)} file(s) its manifest lists are missing "
            f"(first: {missing[0]}). It cannot be restored."
        )
    return manifest


def remove_tree(path: Path | None) -> None:
    if path is not None and path.exists():
        shutil.rmtree(path, ignore_errors=True)
