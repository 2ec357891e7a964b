"""Helpers shared by the upload tests (import, roster refresh) and their browser tests."""

import csv
import io

from crm.reference.shipped import DATA_DIR
from crm.stakeholders.roster import SHIPPED_ROSTER


def preview_token(html: str) -> str:
    """The stashed upload's token on a preview page (the Apply form's hidden field)."""
    return html.split('name="token" value="')[1].split('"')[0]


def roster_csv(edit=None) -> bytes:
    """The shipped roster as CSV bytes, after `edit(rows)` changes the list of dict rows."""
    with open(DATA_DIR / SHIPPED_ROSTER, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    if edit:
        edit(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
