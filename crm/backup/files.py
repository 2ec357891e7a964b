"""The instance files a backup carries: proposal PDFs and program resources (where the app's settings put them),
and the secret key file only when asked. Import previews (instance/uploads), the development mail folder and
the database file itself are left out: the first two are passing, the third is copied by its engine's means."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from crm.backup.archive import SECRET_KEY_MEMBER, copy_hashed

# archive folder → (setting that moves it, default folder under the instance folder)
FILE_SETS = {"proposal_files": "PROPOSAL_FILES_DIR", "program_files": "PROGRAM_FILES_DIR"}


def file_dirs(app) -> dict[str, Path]:
    """Where this app keeps each set of files (the same rule as crm/proposals/files.py and crm/programs/files.py)."""
    return {
        name: Path(app.config.get(setting) or Path(app.instance_path) / name) for name, setting in FILE_SETS.items()
    }


def secret_key_file(app) -> Path:
    return Path(app.instance_path) / "secret_key"


def _wanted(path: Path) -> bool:
    """Regular files only: not links, not a store's half-written `.part` file or a hidden temporary one."""
    return path.is_file() and not path.is_symlink() and not path.name.startswith(".") and path.suffix != ".part"


def stage_files(app, staging: Path, include_secrets: bool) -> dict[str, dict]:
    """Copy the instance files into `staging` under their archive names, hashing each; return name → checksum."""
    members: dict[str, dict] = {}
    for name, directory in file_dirs(app).items():
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if _wanted(path) and not any(part.startswith(".") for part in path.relative_to(directory).parts):
                member = f"files/{name}/{path.relative_to(directory).as_posix()}"
                (staging / member).parent.mkdir(parents=True, exist_ok=True)
                members[member] = copy_hashed(path, staging / member)
    key_file = secret_key_file(app)
    if include_secrets and key_file.is_file():
        (staging / SECRET_KEY_MEMBER).parent.mkdir(parents=True, exist_ok=True)
        members[SECRET_KEY_MEMBER] = copy_hashed(key_file, staging / SECRET_KEY_MEMBER)
    return members


def prepare_swap(app, staging: Path) -> list[tuple[Path, Path]]:
    """Move each restored file set beside the folder it will replace (same file system, so the swap is a rename);
    returns (new, final) pairs. Nothing the app reads has changed yet."""
    pairs = []
    try:
        for name, final in file_dirs(app).items():
            final.parent.mkdir(parents=True, exist_ok=True)
            new = Path(tempfile.mkdtemp(prefix=f".{final.name}.restoring-", dir=final.parent))
            pairs.append((new, final))
            restored = staging / "files" / name
            if restored.is_dir():
                new.rmdir()
                shutil.move(str(restored), new)
    except OSError:
        discard(pairs)
        raise
    return pairs


def swap(pairs: list[tuple[Path, Path]]) -> None:
    """Put each restored folder in place of the old one (two renames), then delete the old one."""
    for new, final in pairs:
        old = final.with_name(f".{final.name}.before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(new, final)
        shutil.rmtree(old, ignore_errors=True)


def discard(pairs: list[tuple[Path, Path]]) -> None:
    for new, _ in pairs:
        shutil.rmtree(new, ignore_errors=True)


def restore_secret_key(app, staging: Path) -> bool:
    """Write the backup's secret key file, if it carries one (owner-only); True when it did."""
    source = staging / SECRET_KEY_MEMBER
    if not source.is_file():
        return False
    target = secret_key_file(app)
    part = target.with_name(".secret_key.restoring")
    part.write_bytes(source.read_bytes())
    part.chmod(0o600)
    os.replace(part, target)
    return True
