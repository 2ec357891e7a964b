"""Proposal PDFs on disk: checked to really be PDFs, stored by SHA-256 outside static/."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.utils import secure_filename

from crm.lib.errors import ValidationError

MAX_PDF_BYTES = 20 * 1024 * 1024
# A PDF starts with "%PDF-1.x" and its last section ends with "%%EOF", followed at most by a line
# ending (some writers add a little padding, so look in the last KiB, as readers do).
PDF_MAGIC = b"%PDF-"
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 1024


@dataclass(frozen=True)
class StoredPdf:
    sha256: str
    size: int


def files_dir() -> Path:
    """PROPOSAL_FILES_DIR, by default instance/proposal_files (never under static/: drafts are not public)."""
    return Path(current_app.config.get("PROPOSAL_FILES_DIR") or Path(current_app.instance_path) / "proposal_files")


def max_pdf_bytes() -> int:
    return int(current_app.config.get("PROPOSAL_PDF_MAX_BYTES", MAX_PDF_BYTES))


def human_size(size: int) -> str:
    """20971520 → '20 MB', 10001 → '9.8 KB'."""
    value, unit = (size / 1048576, "MB") if size >= 1048576 else (size / 1024, "KB")
    return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"


def pdf_problem(data: bytes, limit: int) -> str | None:
    """Why `data` is not an acceptable proposal PDF, or None."""
    if len(data) > limit:
        return f"That PDF is {human_size(len(data))}; the limit is {human_size(limit)}. Compress it and try again."
    if not data.startswith(PDF_MAGIC):
        return "That file is not a PDF (it does not start like one). Export the proposal as PDF and upload that."
    if EOF_MARKER not in data[-EOF_WINDOW:]:
        return "That PDF is incomplete or damaged (it has no end-of-file marker). Export it again and upload that."
    return None


def store_pdf(data: bytes) -> StoredPdf:
    """Check and write the PDF as <sha256>.pdf (identical uploads share one file); raises ValidationError("pdf")."""
    problem = pdf_problem(data, max_pdf_bytes())
    if problem:
        raise ValidationError("pdf", problem)
    digest = hashlib.sha256(data).hexdigest()
    directory = files_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{digest}.pdf"
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)  # atomic: a reader never sees half a file
    return StoredPdf(sha256=digest, size=len(data))


def pdf_path(sha256: str) -> Path:
    """Where a stored PDF lives; the name is only hex digits, so it cannot leave the folder."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return files_dir() / f"{sha256}.pdf"


def clean_filename(name: str | None) -> str:
    """The uploaded name, made safe to show and store; 'proposal.pdf' if nothing is left."""
    cleaned = secure_filename(name or "")[:190]
    return cleaned if cleaned.lower().endswith(".pdf") else (cleaned or "proposal") + ".pdf"
