"""Reference names in French (issue 25): ridings whose official French name differs, provinces and territories,
parties. crm/data/names_fr.csv holds only the names that differ; every other name is the same in both languages."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

NAMES_FR = Path(__file__).resolve().parents[1] / "data" / "names_fr.csv"


@lru_cache(maxsize=1)
def _french() -> dict[tuple[str, str], str]:
    with NAMES_FR.open(encoding="utf-8", newline="") as handle:
        return {(row["kind"], row["key"]): row["name"] for row in csv.DictReader(handle)}


def name_in(language: str | None, kind: str, key: str | None, english: str | None) -> str | None:
    """`english` in `language`: the French name of a riding (keyed by OCD id), a province or territory (by code) or a
    party (by its English name) when it differs; else the name as it is."""
    if language != "fr" or key is None:
        return english
    return _french().get((kind, key), english)


def riding_name(district) -> str:
    """A district's name in the page's language (a template filter)."""
    from crm.lib.i18n import current_language

    return name_in(current_language(), "riding", district.ocd_id, district.name) if district is not None else ""


def party_name(party: str | None) -> str | None:
    """A party's name in the page's language (a template filter)."""
    from crm.lib.i18n import current_language

    return name_in(current_language(), "party", party, party)
