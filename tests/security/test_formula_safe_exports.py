"""Spreadsheet exports: text that a spreadsheet would run as a formula arrives as plain text.

One rule (crm/lib/spreadsheets.py) serves every export: the directory, the interaction list and the dashboards.
Each export page's own test checks it applies the rule to its columns.
"""

import io

import pandas as pd

from crm.dashboards.exports import export_table
from crm.lib.spreadsheets import formula_safe, safe_cell

DANGEROUS = ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx")


def test_text_starting_like_a_formula_gets_a_leading_quote_and_other_values_pass():
    for text in DANGEROUS:
        assert formula_safe(text) == "'" + text
        assert safe_cell(text) == "'" + text
    assert formula_safe("plain") == "plain" and formula_safe(5) == 5
    assert [safe_cell(v) for v in ("plain", None, 5)] == ["plain", "", "5"]


def test_formula_like_text_is_quoted_in_csv_and_xlsx():
    rows = [('=HYPERLINK("x")', 1), ("+1", 2), ("-2", 3), ("@SUM(A1)", 4), ("\tx", 5), ("\rx", 6), ("plain", 7)]
    csv_text = export_table(["Label", "Count"], rows, "csv").decode("utf-8-sig")
    for bad in ("=HYPERLINK", "+1", "-2", "@SUM"):
        assert f"\n'{bad}" in csv_text or f"\n\"'{bad}" in csv_text
    frame = pd.read_excel(io.BytesIO(export_table(["Label", "Count"], rows, "xlsx")), dtype=str)
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in frame["Label"])
    assert list(frame["Count"]) == [str(n) for n in range(1, 8)]
