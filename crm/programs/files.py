"""Resource uploads: the type is checked from the file's first bytes, the size against a limit."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext

from crm.lib.errors import ValidationError

# extension → (content type, magic prefixes)
ALLOWED_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
}
DEFAULT_MAX_BYTES = 1_500_000


def files_dir() -> Path:
    """PROGRAM_FILES_DIR, or `program_files` in the instance folder."""
    path = Path(current_app.config.get("PROGRAM_FILES_DIR") or Path(current_app.instance_path) / "program_files")
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return int(current_app.config.get("PROGRAM_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    """Return (extension, content type) for an acceptable file, or raise ValidationError on `file`."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationError("file", gettext("Upload a PDF, PNG, JPEG, Word (.docx) or PowerPoint (.pptx) file."))
    if not data:
        raise ValidationError("file", gettext("That file is empty."))
    limit = max_bytes()
    if len(data) > limit:
        raise ValidationError(
            "file",
            gettext(
                "That file is %(size)s MB; the limit is %(limit)s MB.",
                size=f"{len(data) / 1000000.0:.1f}",
                limit=f"{limit / 1000000.0:.1f}",
            ),
        )
    content_type, magics = ALLOWED_TYPES[extension]
    if not any(data.startswith(magic) for magic in magics):
        raise ValidationError(
            "file",
            gettext("That file is not really a .%(extension)s file. Export it again and retry.", extension=extension),
        )
    return extension, content_type


def store_file(extension: str, data: bytes) -> tuple[str, str]:
    """Write the bytes under a random name; return (stored name, sha256)."""
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    (files_dir() / stored_name).write_bytes(data)
    return stored_name, hashlib.sha256(data).hexdigest()


def stored_path(stored_name: str) -> Path:
    return files_dir() / Path(stored_name).name
