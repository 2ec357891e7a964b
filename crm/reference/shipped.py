"""The one reader of the reference data shipped in crm/data: every file read here, its shape checked.

Seeding (jurisdictions, districts, postal areas, organizations, the MPP roster, PRA statuses) and the riding
map all read through this module, so a file that lost a column fails with its name rather than a KeyError.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Each shipped file and the columns (CSV) or top-level keys of its items (JSON) the code relies on.
FILES: dict[str, frozenset[str]] = {
    "canada_legislatures.csv": frozenset(
        {"code", "jurisdiction", "ocd_division_id", "legislature_name", "member_title", "seats"}
    ),
    "ontario_electoral_districts_2015_ocd.csv": frozenset({"id", "name"}),
    "itp_regulators_certification_pra.csv": frozenset(
        {"category", "jurisdiction", "name", "acronym", "website", "role_or_notes"}
    ),
    "ontario_mpps_2026.csv": frozenset({"ed_number", "riding", "mpp_name", "party", "email", "constituency_phone"}),
    "ontario_ed_profiles_elections_ontario_2021.csv": frozenset({"ed_number", "riding", "population"}),
    "ontario_fsa_to_ed_2021.json": frozenset({"fsa", "eds"}),
    "ontario_electoral_districts_2015_simplified.geojson": frozenset({"type", "properties", "geometry"}),
}


class ShippedDataError(RuntimeError):
    """A shipped file is missing or lacks what the code reads from it."""


def _check(name: str, found: set[str]) -> None:
    missing = FILES[name] - found
    if missing:
        raise ShippedDataError(f"crm/data/{name} lacks {', '.join(sorted(missing))}")


def _path(name: str) -> Path:
    if name not in FILES:
        raise ShippedDataError(f"crm/data/{name} is not a shipped file (list it in crm/reference/shipped.py)")
    path = DATA_DIR / name
    if not path.is_file():
        raise ShippedDataError(f"crm/data/{name} is missing")
    return path


def rows(name: str) -> list[dict[str, str]]:
    """A shipped CSV's rows: keys lower-cased and trimmed, values trimmed ("" for an empty cell)."""
    with open(_path(name), newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = {key.strip().lower() for key in reader.fieldnames or ()}
        _check(name, header)
        return [{key.strip().lower(): (value or "").strip() for key, value in row.items()} for row in reader]


def items(name: str) -> list[dict]:
    """A shipped JSON list (or a GeoJSON file's features), each item checked for the keys the code reads."""
    data = json.loads(_path(name).read_text(encoding="utf-8"))
    found = data["features"] if isinstance(data, dict) and "features" in data else data
    if not isinstance(found, list):
        raise ShippedDataError(f"crm/data/{name} is not a list")
    for item in found:
        _check(name, set(item))
    return found
