"""Representatives from Represent's answers, kept in the directory: a person with a current elected office in the
legislature, marked with the source and the time it was fetched, so their timeline, stances and letters work like
any MPP's. Add and flush; the caller commits.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm.legislatures.sets import set_slug
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ContactPoint, ElectedOffice, Organization, Person

# What a refresh compares, and how its report names each field.
COMPARED = {
    "party": "party",
    "legislature_email": "email",
    "phone": "phone",
    "profile_url": "profile",
    "photo_url": "photo",
}
FORMER_EMAIL_LABEL = "former"


def district_key(name: str | None) -> str:
    """Compare district names whatever their dashes, accents, case and spacing."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def _text(value, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:limit] or None


def _url(value) -> str | None:
    text = _text(value, 300)
    return text if text and re.match(r"^https?://", text) else None


def _email(value) -> str | None:
    text = _text(value, 254)
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@dataclass
class Representative:
    """One member as Represent lists them, cleaned: what the directory keeps of them."""

    name: str
    district_name: str
    party: str | None = None
    elected_office: str | None = None
    email: str | None = None
    phone: str | None = None
    profile_url: str | None = None
    photo_url: str | None = None
    source_url: str | None = None
    boundary_url: str | None = None
    offices: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return district_key(self.district_name)


def parse_representative(item: dict) -> Representative | None:
    """A Represent representative object, cleaned; None when it names no person or no district."""
    name, district = _text(item.get("name"), 160), _text(item.get("district_name"), 120)
    if not name or not district:
        return None
    offices = [
        {key: _text(office.get(key), 300) for key in ("type", "tel", "postal", "fax") if office.get(key)}
        for office in (item.get("offices") if isinstance(item.get("offices"), list) else [])
        if isinstance(office, dict)
    ]
    phones = [o.get("tel") for o in offices if o.get("type") == "constituency" and o.get("tel")] + [
        o.get("tel") for o in offices if o.get("tel")
    ]
    related = item.get("related") if isinstance(item.get("related"), dict) else {}
    return Representative(
        name=name,
        district_name=district,
        party=_text(item.get("party_name"), 80),
        elected_office=_text(item.get("elected_office"), 40),
        email=_email(item.get("email")),
        phone=(phones[0][:40] if phones else None),
        profile_url=_url(item.get("url")),
        photo_url=_url(item.get("photo_url")),
        source_url=_url(item.get("source_url")),
        boundary_url=_text(related.get("boundary_url"), 200),
        offices=offices[:10],
    )


def office_values(rep: Representative, fetched_at: datetime, source: str = "represent") -> dict:
    """The elected office's columns for this representative."""
    return dict(
        party=rep.party,
        legislature_email=rep.email,
        phone=rep.phone,
        profile_url=rep.profile_url,
        photo_url=rep.photo_url,
        source=source,
        source_url=rep.source_url,
        offices_json=json.dumps(rep.offices, ensure_ascii=False) if rep.offices else None,
        fetched_at=fetched_at,
        contact_uncertain=False,
    )


def districts_of(session: Session, jurisdiction: Jurisdiction) -> dict[str, ElectoralDistrict]:
    """The legislature's districts in the directory, by `district_key`."""
    return {
        district_key(d.name): d
        for d in session.scalars(select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == jurisdiction.id))
    }


def represent_id(jurisdiction: Jurisdiction, rep: Representative) -> str:
    """The id a district from Represent gets in place of an OCD id: its boundary's, or its name's."""
    boundary = (rep.boundary_url or "").strip("/").rsplit("/", 1)[-1] if rep.boundary_url else ""
    return f"represent:{set_slug(jurisdiction)}:{boundary or rep.key}"[:120]


def add_district(session: Session, jurisdiction: Jurisdiction, rep: Representative) -> ElectoralDistrict:
    """A district Represent names that the directory lacks (only Ontario's ship): numbered after the last one,
    with an id made from Represent's boundary (or its name) in place of an OCD id. A boundary already known under
    another name is the same district, renamed."""
    ocd_id = represent_id(jurisdiction, rep)
    renamed = session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.ocd_id == ocd_id))
    if renamed is not None:
        renamed.name = rep.district_name
        return renamed
    last = session.scalar(
        select(func.max(ElectoralDistrict.number)).where(ElectoralDistrict.jurisdiction_id == jurisdiction.id)
    )
    district = ElectoralDistrict(
        jurisdiction_id=jurisdiction.id, number=(last or 0) + 1, name=rep.district_name, ocd_id=ocd_id
    )
    session.add(district)
    session.flush()
    return district


def current_office(session: Session, district: ElectoralDistrict) -> ElectedOffice | None:
    return session.scalar(
        select(ElectedOffice)
        .where(ElectedOffice.district_id == district.id, ElectedOffice.current.is_(True))
        .options(selectinload(ElectedOffice.person).selectinload(Person.contacts))
        .limit(1)
    )


def open_office(
    session: Session, jurisdiction: Jurisdiction, district: ElectoralDistrict, values: dict, name: str
) -> ElectedOffice:
    """The representative takes the seat: a person (a former member of this legislature by the same name, else
    a new one in the legislature's organization) with a current office."""
    person = session.scalar(
        select(Person)
        .join(ElectedOffice)
        .where(ElectedOffice.jurisdiction_id == jurisdiction.id, Person.full_name == name)
        .options(selectinload(Person.contacts))
        .limit(1)
    )
    if person is None:
        legislature = session.scalar(
            select(Organization).where(Organization.source_key == f"legislature:{jurisdiction.code}")
        )
        person = Person(full_name=name, organization=legislature, jurisdiction=jurisdiction)
        session.add(person)
    person.title = member_title(jurisdiction, district)
    person.archived = False
    sync_contacts(person, values)
    office = ElectedOffice(person=person, jurisdiction=jurisdiction, district=district, current=True, **values)
    session.add(office)
    session.flush()
    return office


def member_title(jurisdiction: Jurisdiction, district: ElectoralDistrict) -> str:
    """ "MLA, Halifax Citadel-Sable Island": the legislature's own title for its members."""
    return f"{jurisdiction.member_title}, {district.name}"


def sync_contacts(person: Person, values: dict) -> None:
    """The person's legislature email and phone follow the office's; a replaced email stays, labelled former."""
    for kind, label, value in (
        ("email", "legislature", values.get("legislature_email")),
        ("phone", "constituency", values.get("phone")),
    ):
        point = next((c for c in person.contacts if c.kind == kind and c.label == label), None)
        if not value or (point is not None and point.value == value):
            continue
        if point is not None and kind == "email":
            point.label = FORMER_EMAIL_LABEL  # history: the old address is kept, marked former
            point = None
        if point is None:
            person.contacts.append(ContactPoint(kind=kind, label=label, value=value))
        else:
            point.value = value


def update_office(office: ElectedOffice, values: dict) -> dict[str, tuple]:
    """Bring the office up to date; returns the compared fields that changed (before, after)."""
    changed = {key: (getattr(office, key), values[key]) for key in COMPARED if getattr(office, key) != values[key]}
    for key, value in values.items():
        setattr(office, key, value)
    sync_contacts(office.person, values)
    return changed


def close_office(office: ElectedOffice, today) -> None:
    """The member left: the office closes today; a title written by a refresh becomes "Former …"."""
    office.current = False
    office.to_date = today
    if office.district is not None and office.person.title == member_title(office.jurisdiction, office.district):
        office.person.title = f"Former {office.person.title}"
