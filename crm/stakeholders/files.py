"""Reading uploaded CSV/XLSX tables and writing formula-safe CSV/XLSX exports (one reader, one writer)."""

from __future__ import annotations

import io
import json
import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import format_decimal, gettext

from crm.lib.bulk import gc_paused
from crm.lib.errors import ValidationError
from crm.lib.spreadsheets import safe_cell, write_csv  # noqa: F401  (write_csv: the directory's one writer module)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
STASH_SECONDS = 24 * 3600  # a preview can be applied for a day
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PLAN_SUFFIX = ".plan.json"


if TYPE_CHECKING:
    import pandas as pd


@gc_paused()
def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8 with or without BOM, or Windows-1252) or XLSX file, keyed by lower-cased header.

    Every value is a stripped string. Raises ValidationError("file", ...) with a sentence saying what to fix.
    """
    name = (filename or "").lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "file",
            gettext(
                "The file is %(size)s MB; the limit is 10 MB. Split it into smaller files and import them one by one.",
                size=format_decimal(round(len(data) / 1024 / 1024, 1)),
            ),
        )
    if not data.strip():
        raise ValidationError(
            "file", gettext("The file is empty. Choose a file with a header row and at least one row.")
        )
    if name.endswith((".xlsx", ".xlsm")):
        frame = _read_xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name:
        frame = _read_csv(data)
    else:
        raise ValidationError("file", gettext("Choose a .csv or .xlsx file."))
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    if frame.empty:
        raise ValidationError("file", gettext("The file has a header row but no rows to import."))
    # Column by column (a later column of the same name wins, as in a dict), not to_dict(): for
    # 50,000 rows pandas' per-cell boxing costs more than the rest of reading the file.
    columns = list(frame.columns)
    values = [frame.iloc[:, i].tolist() for i in range(len(columns))]
    rows = zip(*values, strict=True)
    return [
        dict(zip(columns, ("" if value is None else str(value).strip() for value in row), strict=True)) for row in rows
    ]


def _read_csv(data: bytes) -> pd.DataFrame:
    import pandas as pd  # imported here: the worker and most pages never need pandas

    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True, sep=_delimiter(text)
            )
        except pd.errors.EmptyDataError:
            raise ValidationError(
                "file", gettext("The file is empty. Choose a file with a header row and at least one row.")
            ) from None
        except (pd.errors.ParserError, ValueError) as error:
            raise ValidationError("file", _csv_problem(str(error))) from None
    raise ValidationError(
        "file", gettext("The file's text encoding is not UTF-8 or Windows-1252. Save it as CSV UTF-8.")
    )


_WRONG_WIDTH = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _csv_problem(detail: str) -> str:
    """What to fix, in the reader's language, for pandas' English parser error: its two usual cases explained with
    the line to look at, anything else with the parser's own words kept as a technical detail."""
    if found := _WRONG_WIDTH.search(detail):
        expected, line, saw = found.groups()
        return gettext(
            "Line %(line)s has %(saw)s values where the header row has %(expected)s columns: a value that contains "
            "the separator (a comma or semicolon) needs quotation marks around it. Correct that line, save the file "
            "again as CSV and retry.",
            line=line,
            saw=saw,
            expected=expected,
        )
    if found := _OPEN_QUOTE.search(detail):
        return gettext(
            "A quotation mark opened on line %(line)s is never closed. Close it (or remove it), save the file again "
            "as CSV and retry.",
            line=int(found.group(1)) + 1,  # pandas counts rows from 0, the header being row 0
        )
    return gettext(
        "The file could not be read as CSV. Save it again as CSV (comma-separated) and retry. (Technical detail: "
        "%(detail)s)",
        detail=detail[:300],
    )


def _delimiter(text: str) -> str:
    """The header row's separator: a comma, or the semicolon that French-language Excel writes, or a tab."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count) if any(mark in header for mark in ";\t") else ","


def _read_xlsx(data: bytes) -> pd.DataFrame:
    import pandas as pd  # imported here: the worker and most pages never need pandas

    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="calamine", keep_default_na=False)
    except Exception as error:  # zipfile, calamine and pandas raise many types for a file that is not a workbook
        raise ValidationError(
            "file",
            gettext(
                "The file is not a readable Excel spreadsheet (.xlsx). Open it in your spreadsheet program and save "
                "it again as .xlsx or CSV. (Technical detail: %(detail)s)",
                detail=type(error).__name__,
            ),
        ) from None
    return frame.dropna(how="all")


def write_xlsx(columns: list[str], rows, sheet: str = "Export") -> bytes:
    """An XLSX workbook of formula-safe text cells."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(columns)
    for row in rows:
        worksheet.append([safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stash_upload(folder: Path, filename: str, data: bytes, plan: dict | None = None) -> str:
    """Keep an uploaded file (and the preview's plan, if any) between its preview and its apply; returns the
    token naming it."""
    folder.mkdir(parents=True, exist_ok=True)
    stale = time.time() - STASH_SECONDS
    for old in folder.iterdir():  # previews nobody applied
        if old.is_file() and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    suffix = ".xlsx" if (filename or "").lower().endswith((".xlsx", ".xlsm")) else ".csv"
    token = secrets.token_urlsafe(24)
    (folder / f"{token}{suffix}").write_bytes(data)
    if plan is not None:
        (folder / f"{token}{PLAN_SUFFIX}").write_text(json.dumps(plan, separators=(",", ":")), encoding="utf-8")
    return token


def load_upload(folder: Path, token: str) -> tuple[str, bytes]:
    """The (filename, bytes) stashed under `token`; ValidationError when it is gone."""
    if not TOKEN_RE.match(token or ""):
        raise ValidationError(None, gettext("That preview is not valid. Upload the file again."))
    for suffix in (".csv", ".xlsx"):
        path = folder / f"{token}{suffix}"
        if path.exists():
            return path.name, path.read_bytes()
    raise ValidationError(None, gettext("That preview has expired or was already applied. Upload the file again."))


@gc_paused()
def load_plan(folder: Path, token: str) -> dict | None:
    """The preview's plan stashed with the upload `token`, or None."""
    path = folder / f"{token}{PLAN_SUFFIX}"
    if not TOKEN_RE.match(token or "") or not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # damaged (a disk that filled up while it was written): the file is previewed again
        return None


def discard_upload(folder: Path, token: str) -> None:
    if TOKEN_RE.match(token or ""):
        for suffix in (".csv", ".xlsx", PLAN_SUFFIX):
            (folder / f"{token}{suffix}").unlink(missing_ok=True)
