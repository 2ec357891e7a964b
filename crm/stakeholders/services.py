"""Stakeholder services: loading the shipped organizations and the MPP roster."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ContactPoint, ElectedOffice, Organization, Person

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

CATEGORY_KIND = {
    "certification": "certification_body",
    "regulator-federation": "regulator",
    "regulator": "regulator",
    "pra-program": "assessment_program",
    "assessment-other": "assessment_program",
    "support-other": "ally",
}


def _read_csv(name: str) -> list[dict]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _jurisdictions(session: Session) -> dict[str, Jurisdiction]:
    return {j.code: j for j in session.scalars(select(Jurisdiction))}


def seed_organizations(session: Session) -> int:
    """Regulators, certification bodies, PRA programs and the legislatures; returns rows added."""
    jurisdictions = _jurisdictions(session)
    existing = {o.source_key: o for o in session.scalars(select(Organization).where(Organization.source_key.is_not(None)))}
    wanted = []
    for row in _read_csv("itp_regulators_certification_pra.csv"):
        wanted.append(dict(
            source_key=f"{row['category']}:{row['jurisdiction']}:{row['name']}", name=row["name"],
            acronym=row["acronym"] or None, kind=CATEGORY_KIND.get(row["category"], "other"),
            jurisdiction_id=jurisdictions[row["jurisdiction"]].id, website=row["website"] or None,
            notes=row["role_or_notes"] or None))
    for code, jurisdiction in jurisdictions.items():
        wanted.append(dict(source_key=f"legislature:{code}", name=jurisdiction.legislature_name, acronym=None,
                           kind="legislature", jurisdiction_id=jurisdiction.id, website=None, notes=None))
    added = 0
    for values in wanted:
        organization = existing.get(values["source_key"])
        if organization is None:
            session.add(Organization(**values))
            added += 1
        else:
            for key, value in values.items():
                if key not in ("notes", "website") and getattr(organization, key) != value:
                    setattr(organization, key, value)
    session.flush()
    return added


def seed_ontario_mpps(session: Session, today: date | None = None) -> dict[str, int]:
    """Load the Ontario MPP roster: one current office per district; a changed name ends the old office."""
    today = today or date.today()
    jurisdictions = _jurisdictions(session)
    ontario = jurisdictions["ON"]
    legislature = session.scalar(select(Organization).where(Organization.source_key == "legislature:ON"))
    districts = {d.number: d for d in session.scalars(
        select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == ontario.id))}
    current = {o.district_id: o for o in session.scalars(
        select(ElectedOffice).where(ElectedOffice.jurisdiction_id == ontario.id, ElectedOffice.current.is_(True))
        .options(joinedload(ElectedOffice.person).selectinload(Person.contacts)))}
    counts = {"added": 0, "updated": 0, "ended": 0}
    for row in _read_csv("ontario_mpps_2026.csv"):
        district = districts[int(row["ed_number"])]
        uncertain = not row["email"]
        roles = " | ".join(part for part in (row["cabinet_roles"], row["parliamentary_roles"]) if part) or None
        office_values = dict(party=row["party"] or None, legislature_email=(row["email"] or None),
                             phone=row["constituency_phone"] or None, profile_url=row["ola_profile_url"] or None,
                             roles=roles, contact_uncertain=uncertain)
        office = current.get(district.id)
        if office is not None and office.person.full_name != row["mpp_name"]:
            office.current = False
            office.to_date = today
            counts["ended"] += 1
            office = None
        if office is None:
            title = f"MPP, {district.name}"
            person = Person(full_name=row["mpp_name"], title=title, organization=legislature, jurisdiction=ontario)
            if row["email"]:
                person.contacts.append(ContactPoint(kind="email", label="legislature", value=row["email"]))
            if row["constituency_phone"]:
                person.contacts.append(ContactPoint(kind="phone", label="constituency", value=row["constituency_phone"]))
            session.add(person)
            session.add(ElectedOffice(person=person, jurisdiction=ontario, district=district, current=True,
                                      from_date=None, **office_values))
            counts["added"] += 1
            continue
        changed = False
        for key, value in office_values.items():
            if getattr(office, key) != value:
                setattr(office, key, value)
                changed = True
        counts["updated"] += changed
    session.flush()
    return counts
