"""Cells for spreadsheets: text a spreadsheet shows, never runs as a formula; one CSV writer."""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """Text starting with = + - @ tab or CR gets a leading quote; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cell(value) -> str:
    """A cell as formula-safe text (None becomes empty)."""
    return formula_safe("" if value is None else str(value))


def write_csv(columns: list[str], rows) -> bytes:
    """CSV (UTF-8 with BOM, so Excel reads accents) of formula-safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
