"""Which Represent representative set lists each legislature's members, and finding a legislature by its code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.reference.models import Jurisdiction

# Represent's representative-set slugs (represent.opennorth.ca/representative-sets/), by the
# codes of crm/data/canada_legislatures.csv. Nunavut's is the slug Represent would use; public
# code that queried it in 2026 found no one listed there.
REPRESENT_SETS = {
    "NL": "newfoundland-labrador-legislature",
    "PE": "pei-legislature",
    "NS": "nova-scotia-legislature",
    "NB": "new-brunswick-legislature",
    "QC": "quebec-assemblee-nationale",
    "ON": "ontario-legislature",
    "MB": "manitoba-legislature",
    "SK": "saskatchewan-legislature",
    "AB": "alberta-legislature",
    "BC": "bc-legislature",
    "YT": "yukon-legislature",
    "NT": "northwest-territories-legislature",
    "NU": "nunavut-legislature",
    "CA": "house-of-commons",
}
# Where the product ships districts, a roster and a postal-area table: letters work offline.
SHIPPED_OFFLINE = {"ON"}


class UnknownLegislature(ValueError):
    """The code names none of the 14 legislatures; the message lists them."""


def legislature(session: Session, code: str | None) -> Jurisdiction:
    """The legislature with this code ("NS", "ca"); raises UnknownLegislature with the codes to choose from."""
    wanted = (code or "").strip().upper()
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.code == wanted)) if wanted else None
    if found is None or wanted not in REPRESENT_SETS:
        raise UnknownLegislature(
            f"There is no legislature {code!r}. Use one of: {', '.join(sorted(REPRESENT_SETS))} "
            "(CA is the House of Commons)."
        )
    return found


def set_slug(jurisdiction: Jurisdiction) -> str:
    return REPRESENT_SETS[jurisdiction.code]


def in_set(representative: dict, jurisdiction: Jurisdiction) -> bool:
    """Whether a representative object of a postal-code answer sits in this legislature: by its set's URL, or
    (an answer without one) by its set's name and elected office."""
    related = representative.get("related") if isinstance(representative.get("related"), dict) else {}
    url = related.get("representative_set_url") or ""
    if url:
        return url.rstrip("/").rsplit("/", 1)[-1] == set_slug(jurisdiction)
    return (representative.get("representative_set_name") or "") == jurisdiction.legislature_name and (
        representative.get("elected_office") or ""
    ).upper() == jurisdiction.member_title.upper()
