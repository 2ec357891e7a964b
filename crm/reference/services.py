"""Postal codes, the offline FSA lookup, and loading the reference tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.reference import shipped
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea

# Canada Post: no D, F, I, O, Q, U anywhere; no W or Z as the first letter.
_POSTAL_RE = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)$")
# First letter of the FSA → province or territory.
FSA_PROVINCE = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "Y": "YT",
}


class PostalCodeError(ValueError):
    """The text is not a Canadian postal code; the message says why."""


def normalise_postal_code(text: str) -> str:
    """'m5v 3l9', 'M5V3L9', 'M5V-3L9' → 'M5V 3L9'; raise PostalCodeError otherwise."""
    compact = re.sub(r"[\s\-]", "", (text or "").upper())
    if not compact:
        raise PostalCodeError(gettext("Enter a postal code, like M5V 3L9."))
    if len(compact) != 6:
        raise PostalCodeError(gettext("A Canadian postal code has six characters, like M5V 3L9."))
    match = _POSTAL_RE.match(compact)
    if not match:
        raise PostalCodeError(
            gettext("That is not a valid Canadian postal code; it looks like A1A 1A1 (e.g. M5V 3L9).")
        )
    return f"{match.group(1)} {match.group(2)}"


def province_for_postal_code(code: str) -> str | None:
    """The province or territory an (already normalised) postal code belongs to; X is NT or NU."""
    return FSA_PROVINCE.get(code[0])


@dataclass
class Candidate:
    district: ElectoralDistrict
    share: float
    rank: int


def candidate_districts(session: Session, postal_code: str) -> list[Candidate]:
    """Districts the postal code's FSA reaches, most likely first."""
    fsa = postal_code.replace(" ", "")[:3]
    rows = session.scalars(
        select(PostalArea)
        .where(PostalArea.fsa == fsa)
        .options(joinedload(PostalArea.district))
        .order_by(PostalArea.rank)
    ).all()
    return [Candidate(row.district, row.share, row.rank) for row in rows]


def seed_jurisdictions(session: Session) -> int:
    """The 13 provinces and territories and the House of Commons; returns rows added."""
    existing = {j.code: j for j in session.scalars(select(Jurisdiction))}
    added = 0
    for row in shipped.rows("canada_legislatures.csv"):
        kind = (
            "federal"
            if row["code"] == "CA"
            else ("territory" if "territory:" in row["ocd_division_id"] else "province")
        )
        values = dict(
            name=row["jurisdiction"],
            kind=kind,
            ocd_id=row["ocd_division_id"],
            legislature_name=row["legislature_name"],
            member_title=row["member_title"],
            seats=int(row["seats"]),
        )
        jurisdiction = existing.get(row["code"])
        if jurisdiction is None:
            session.add(Jurisdiction(code=row["code"], **values))
            added += 1
        else:
            for key, value in values.items():
                if getattr(jurisdiction, key) != value:
                    setattr(jurisdiction, key, value)
    session.flush()
    return added


def seed_ontario_districts(session: Session) -> int:
    """Ontario's 124 electoral districts (2015 boundaries) with their OCD ids."""
    ontario = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
    existing = {
        d.number: d
        for d in session.scalars(select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == ontario.id))
    }
    added = 0
    for row in shipped.rows("ontario_electoral_districts_2015_ocd.csv"):
        number = int(re.search(r"ed:(\d+)-2015$", row["id"]).group(1))
        district = existing.get(number)
        if district is None:
            session.add(
                ElectoralDistrict(jurisdiction_id=ontario.id, number=number, name=row["name"], ocd_id=row["id"])
            )
            added += 1
        elif district.name != row["name"]:
            district.name = row["name"]
    session.flush()
    return added


def seed_postal_areas(session: Session) -> int:
    """The FSA → district table for Ontario, with each district's share of sampled addresses."""
    ontario = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
    districts = {
        d.number: d.id
        for d in session.scalars(select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == ontario.id))
    }
    existing = {(p.fsa, p.district_id): p for p in session.scalars(select(PostalArea))}
    added = 0
    areas = shipped.items("ontario_fsa_to_ed_2021.json")
    for area in areas:
        ranked = sorted(area["eds"], key=lambda ed: (-ed["percent"], int(ed["id"])))
        for rank, ed in enumerate(ranked, start=1):
            key = (area["fsa"], districts[int(ed["id"])])
            row = existing.get(key)
            if row is None:
                session.add(PostalArea(fsa=area["fsa"], district_id=key[1], share=float(ed["percent"]), rank=rank))
                added += 1
            elif (row.share, row.rank) != (float(ed["percent"]), rank):
                row.share, row.rank = float(ed["percent"]), rank
    session.flush()
    return added
