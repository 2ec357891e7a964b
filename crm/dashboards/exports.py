"""Every dashboard table as CSV or XLSX, through pandas, with cells a spreadsheet never runs as formulas."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from crm.lib.spreadsheets import formula_safe as _safe

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


if TYPE_CHECKING:
    import pandas as pd


def safe_frame(columns: list[str], rows) -> pd.DataFrame:
    """A frame of the (already aggregated) rows; text that a spreadsheet would run is quoted."""
    import pandas as pd  # imported here: the worker and most pages never need pandas

    frame = pd.DataFrame([list(row) for row in rows], columns=[_safe(column) for column in columns])
    return frame.apply(lambda column: column.map(_safe)) if len(frame) else frame


def export_table(columns: list[str], rows, fmt: str, sheet: str = "Data") -> bytes:
    """The table in `fmt` (csv: UTF-8 with BOM so Excel reads accents; xlsx: one sheet)."""
    import pandas as pd  # imported here: the worker and most pages never need pandas

    frame = safe_frame(columns, rows)
    if fmt == "csv":
        return ("\ufeff" + frame.to_csv(index=False)).encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=sheet[:31])
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}")
