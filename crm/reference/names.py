"""Reference names in French (issue 25): ridings whose official French name differs, provinces and territories,
parties, members' titles. crm/data/names_fr.csv holds only the names that differ; every other name is the same in both
languages."""

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


FORMER = "Former "  # what a roster refresh puts before the title of a member who left (crm/legislatures/directory.py)


@lru_cache(maxsize=1)
def _ocd_by_riding() -> dict[str, str]:
    """The shipped ridings' OCD ids by English name, to name the riding in a title a roster refresh wrote."""
    from crm.reference.shipped import rows

    return {row["name"]: row["id"] for row in rows("ontario_electoral_districts_2015_ocd.csv")}


def title_in(language: str | None, title: str | None) -> str | None:
    """A representative's title in `language`: a legislature's title ("MPP" → « député(e) provincial(e) ») or one a
    roster refresh wrote ("MPP, Ottawa South", "Former MPP, …") in French; any other title (typed) as it is."""
    if language != "fr" or not title:
        return title
    former = title.startswith(FORMER)
    rest = title.removeprefix(FORMER)
    abbreviation, comma, riding = rest.partition(", ")
    french = _french().get(("title", abbreviation))
    if french is None:
        return title
    if comma:
        french = f"{french}, {name_in('fr', 'riding', _ocd_by_riding().get(riding), riding)}"
    return f"ex-{french}" if former else french


def member_title(title: str | None) -> str | None:
    """A title in the page's language (a template filter): {{ jurisdiction.member_title|member_title }}."""
    from crm.lib.i18n import current_language

    return title_in(current_language(), title)


def riding_name(district) -> str:
    """A district's name in the page's language (a template filter)."""
    from crm.lib.i18n import current_language

    return name_in(current_language(), "riding", district.ocd_id, district.name) if district is not None else ""


def jurisdiction_name(jurisdiction) -> str:
    """A province's or territory's name (or the federal level's) in the page's language (a template filter)."""
    from crm.lib.i18n import current_language

    return name_in(current_language(), "province", jurisdiction.code, jurisdiction.name) if jurisdiction else ""


def legislature_name(jurisdiction) -> str:
    """A legislature's name (the Legislative Assembly of Ontario, the House of Commons) in the page's language."""
    from crm.lib.i18n import current_language

    if jurisdiction is None:
        return ""
    return name_in(current_language(), "legislature", jurisdiction.code, jurisdiction.legislature_name)


def party_name(party: str | None) -> str | None:
    """A party's name in the page's language (a template filter)."""
    from crm.lib.i18n import current_language

    return name_in(current_language(), "party", party, party)
