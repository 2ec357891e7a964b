"""Stakeholder services: creating and editing people and organizations, and their tags."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from crm.lib.errors import ValidationError
from crm.lib.sql import fold
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ORGANIZATION_KINDS, ContactPoint, Organization, Person, Tag


def find_jurisdiction(session: Session, code: str | None) -> Jurisdiction | None:
    """The jurisdiction with this code (a province/territory or CA), None for an empty code."""
    if not code:
        return None
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code.strip().upper()))
    if jurisdiction is None:
        raise ValidationError(
            "jurisdiction",
            f"Unknown jurisdiction {code!r}: use a province or territory code such as ON, or CA for federal.",
        )
    return jurisdiction


def tag_name(text: str) -> str:
    """How a tag is stored: trimmed, single-spaced, lower-case."""
    return " ".join(text.split()).lower()[:60]


def tags_named(session: Session, names) -> list[Tag]:
    """Tags for these names (lower-cased, trimmed), creating the missing ones."""
    wanted = sorted({tag_name(n) for n in names if n and n.strip()})
    if not wanted:
        return []
    existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
    for name in wanted:
        if name not in existing:
            existing[name] = Tag(name=name)
            session.add(existing[name])
    return [existing[name] for name in wanted]


def _set_contacts(person: Person, kind: str, wanted: list[tuple[str, str]]) -> None:
    keep = {(label, value) for label, value in wanted}
    for point in [c for c in person.contacts if c.kind == kind]:
        if (point.label, point.value) not in keep:
            person.contacts.remove(point)
    have = {(c.label, c.value) for c in person.contacts if c.kind == kind}
    for label, value in wanted:
        if (label, value) not in have:
            person.contacts.append(ContactPoint(kind=kind, label=label, value=value))
            have.add((label, value))


def save_person(
    session: Session,
    person: Person | None,
    *,
    full_name: str,
    title: str | None,
    organization_id: int | None,
    jurisdiction: str | None,
    notes: str | None,
    emails: list[tuple[str, str]],
    phones: list[tuple[str, str]],
    tags: list[str],
) -> Person:
    """Create (person None) or update a person with their contacts and tags."""
    if organization_id and session.get(Organization, organization_id) is None:
        raise ValidationError("organization_name", gettext("Choose an organization from the list."))
    if person is None:
        person = Person(full_name="")
        session.add(person)
    person.full_name = " ".join(full_name.split())
    person.title = title or None
    person.organization_id = organization_id or None
    found = find_jurisdiction(session, jurisdiction)
    person.jurisdiction_id = found.id if found else None
    person.notes = notes or None
    _set_contacts(person, "email", [(label, value.lower()) for label, value in emails])
    _set_contacts(person, "phone", phones)
    person.tags = tags_named(session, tags)
    session.flush()
    return person


def save_organization(
    session: Session,
    organization: Organization | None,
    *,
    name: str,
    acronym: str | None,
    kind: str,
    jurisdiction: str | None,
    website: str | None,
    notes: str | None,
) -> Organization:
    """Create (organization None) or update an organization."""
    if kind not in dict(ORGANIZATION_KINDS):
        raise ValidationError("kind", gettext("Choose one of the listed kinds."))
    name = " ".join(name.split())
    found = find_jurisdiction(session, jurisdiction)
    if organization is None or (name, found.id if found else None) != (organization.name, organization.jurisdiction_id):
        _refuse_a_second(session, organization, name, found.id if found else None)
    if organization is None:
        organization = Organization(name="")
        session.add(organization)
    organization.name = name
    organization.acronym = acronym or None
    organization.kind = kind
    organization.jurisdiction_id = found.id if found else None
    organization.website = website or None
    organization.notes = notes or None
    session.flush()
    return organization


def _refuse_a_second(session: Session, organization: Organization | None, name: str, jurisdiction_id: int | None):
    """Refuse a name that an active organization of the same jurisdiction already has (ignoring case, and on
    PostgreSQL accents): two would split its people, stances and history, and look alike in every picker. The
    same name in other provinces is fine (each has its Ministry of Health)."""
    same = select(Organization).where(fold(Organization.name) == fold(literal(name)), Organization.archived.is_(False))
    same = (
        same.where(Organization.jurisdiction_id == jurisdiction_id)
        if jurisdiction_id
        else same.where(Organization.jurisdiction_id.is_(None))
    )
    if organization is not None and organization.id is not None:
        same = same.where(Organization.id != organization.id)
    existing = session.scalars(same.limit(1)).first()
    if existing is not None:
        where = f" ({existing.jurisdiction.name})" if existing.jurisdiction else ""
        raise ValidationError(
            "name",
            f"{existing.name}{where} is already in the directory (organization "
            f"#{existing.id}). Open it from the organizations list instead of adding it "
            "twice, or give this one a name that tells them apart.",
        )
