"""Import of a contact sheet (people) and export of filtered lists.

Import columns, matched by header case-insensitively: name (required), title, organization, email, phone,
jurisdiction, tags (`;`-separated), notes. Several emails or phones in one cell are separated by `;`.
A person is matched on email, else on name + organization. The dry run and the apply share one code
path, so the preview is exactly what applying does; any row error means nothing is applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from crm.audit.services import record
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ASKS, ContactPoint, Organization, Person, current_stances
from crm.stakeholders.services import tags_named

IMPORT_COLUMNS = ("name", "title", "organization", "email", "phone", "jurisdiction", "tags", "notes")
MAX_ERRORS_SHOWN = 200


@dataclass
class ImportRow:
    number: int
    action: str  # create, update, skip
    name: str
    organization: str
    detail: str = ""


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    new_organizations: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "skip": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()] if cell else []


@dataclass
class _Parsed:
    number: int
    name: str
    title: str
    organization: str
    emails: list[str]
    phones: list[str]
    jurisdiction: Jurisdiction | None
    tags: list[str]
    notes: str


def _parse_rows(rows, jurisdictions: dict[str, Jurisdiction], report: ImportReport) -> list[_Parsed]:
    parsed: list[_Parsed] = []
    seen_emails: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(row.values()):
            continue
        errors = []
        name = " ".join(row.get("name", "").split())
        if not name:
            errors.append("the name is empty; every row needs a name")
        emails = []
        for email in _split(row.get("email", "")):
            try:
                emails.append(validate_email(email, check_deliverability=False).normalized.lower())
            except EmailNotValidError:
                errors.append(f"{email!r} is not an email address (like name@example.org)")
        code = row.get("jurisdiction", "").strip().upper()
        jurisdiction = jurisdictions.get(code) if code else None
        if code and jurisdiction is None:
            errors.append(f"unknown jurisdiction {row['jurisdiction']!r}; use a province or territory code "
                          "such as ON, or CA for federal")
        organization = " ".join(row.get("organization", "").split())
        if name:
            first = next((seen_emails[e] for e in emails if e in seen_emails), None)
            if first is None:
                first = seen_names.get((name.lower(), organization.lower()))
            if first is not None:
                errors.append(f"{name} appears again (first on row {first}); keep one row per person")
        if errors:
            report.errors.append((number, "; ".join(errors) + "."))
            continue
        for email in emails:
            seen_emails[email] = number
        seen_names[(name.lower(), organization.lower())] = number
        parsed.append(_Parsed(number, name, row.get("title", "")[:200], organization[:200], emails,
                              _split(row.get("phone", "")), jurisdiction, _split(row.get("tags", "")),
                              row.get("notes", "")))
    return parsed


def import_stakeholders(session: Session, rows: list[dict[str, str]], *, apply: bool) -> ImportReport:
    """Preview (apply=False) or apply an import of people; applying happens only when no row has an error."""
    report = ImportReport()
    if not rows or "name" not in rows[0]:
        found = ", ".join(rows[0].keys()) if rows else "none"
        report.errors.append((1, f"The header row has no 'name' column (found: {found}). Name the columns "
                                 f"{', '.join(IMPORT_COLUMNS)}; only name is required."))
        return report
    report.ignored_columns = [column for column in rows[0] if column not in IMPORT_COLUMNS]
    jurisdictions = {j.code: j for j in session.scalars(select(Jurisdiction))}
    parsed = _parse_rows(rows, jurisdictions, report)
    if report.errors:
        return report
    # Later rows win: an active record is preferred over an archived one.
    organizations = {name.lower(): id_ for id_, name in session.execute(
        select(Organization.id, Organization.name).order_by(Organization.archived.desc(), Organization.id.desc()))}
    by_email = {value.lower(): id_ for value, id_ in session.execute(
        select(ContactPoint.value, ContactPoint.person_id).join(Person).where(ContactPoint.kind == "email")
        .order_by(Person.archived.desc(), Person.id.desc()))}
    by_name = {(name.lower(), org): id_ for id_, name, org in session.execute(
        select(Person.id, Person.full_name, Person.organization_id)
        .order_by(Person.archived.desc(), Person.id.desc()))}
    matches: dict[int, int] = {}
    for item in parsed:
        org_id = organizations.get(item.organization.lower()) if item.organization else None
        person_id = next((by_email[e] for e in item.emails if e in by_email), None)
        if person_id is None and (org_id or not item.organization):
            person_id = by_name.get((item.name.lower(), org_id))
        if person_id is not None:
            matches[item.number] = person_id
    people = _load(session, set(matches.values()))
    new_orgs: dict[str, Organization] = {}
    for item in parsed:
        person = people.get(matches.get(item.number))
        org_key = item.organization.lower()
        if item.organization and org_key not in organizations and org_key not in new_orgs:
            report.new_organizations.append(item.organization)
            new_orgs[org_key] = Organization(name=item.organization, kind="other") if apply else None
        if person is None:
            report.rows.append(ImportRow(item.number, "create", item.name, item.organization,
                                         ", ".join(item.emails)))
            if apply:
                _create(session, item, organizations, new_orgs)
            continue
        changes = _changes(person, item, organizations)
        report.rows.append(ImportRow(item.number, "update" if changes else "skip", item.name, item.organization,
                                     "; ".join(changes) if changes else "already up to date"))
        if apply and changes:
            _update(session, person, item, organizations, new_orgs)
    if apply:
        session.flush()
        report.applied = True
        record(session, "import", "people", None, report.counts | {"organizations_created": len(new_orgs)})
    return report


def _load(session: Session, ids: set[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        for person in session.scalars(select(Person).where(Person.id.in_(chunk))
                                      .options(selectinload(Person.contacts), selectinload(Person.tags))):
            people[person.id] = person
    return people


def _organization(item: _Parsed, organizations: dict[str, int], new_orgs: dict[str, Organization]):
    if not item.organization:
        return {}
    key = item.organization.lower()
    if key in organizations:
        return {"organization_id": organizations[key]}
    return {"organization": new_orgs[key]}


def _create(session, item: _Parsed, organizations, new_orgs) -> None:
    person = Person(full_name=item.name, title=item.title or None, notes=item.notes or None,
                    jurisdiction_id=item.jurisdiction.id if item.jurisdiction else None,
                    **_organization(item, organizations, new_orgs))
    person.contacts = ([ContactPoint(kind="email", label="work", value=e) for e in item.emails]
                       + [ContactPoint(kind="phone", label="work", value=p) for p in item.phones])
    person.tags = tags_named(session, item.tags)
    session.add(person)


def _changes(person: Person, item: _Parsed, organizations) -> list[str]:
    changes = []
    if item.title and item.title != (person.title or ""):
        changes.append(f"title → {item.title}")
    if item.jurisdiction and item.jurisdiction.id != person.jurisdiction_id:
        changes.append(f"jurisdiction → {item.jurisdiction.code}")
    if item.notes and item.notes != (person.notes or ""):
        changes.append("notes replaced")
    if item.organization and organizations.get(item.organization.lower()) != person.organization_id:
        changes.append(f"organization → {item.organization}")
    values = {c.value.lower() for c in person.contacts}
    new_contacts = [v for v in item.emails + item.phones if v.lower() not in values]
    if new_contacts:
        changes.append("adds " + ", ".join(new_contacts))
    tags = {t.name for t in person.tags}
    new_tags = [t for t in item.tags if t.lower() not in tags]
    if new_tags:
        changes.append("tags + " + ", ".join(new_tags))
    return changes


def _update(session, person: Person, item: _Parsed, organizations, new_orgs) -> None:
    if item.title:
        person.title = item.title
    if item.jurisdiction:
        person.jurisdiction_id = item.jurisdiction.id
    if item.notes:
        person.notes = item.notes
    if item.organization:
        person.organization_id = None
        for key, value in _organization(item, organizations, new_orgs).items():
            setattr(person, key, value)
    values = {c.value.lower() for c in person.contacts}
    for kind, items in (("email", item.emails), ("phone", item.phones)):
        for value in items:
            if value.lower() not in values:
                person.contacts.append(ContactPoint(kind=kind, label="work", value=value))
                values.add(value.lower())
    for tag in tags_named(session, item.tags):
        if tag not in person.tags:
            person.tags.append(tag)


# --- export ----------------------------------------------------------------------------------------------------

PEOPLE_EXPORT_COLUMNS = list(IMPORT_COLUMNS) + ["riding", "party", "office"] + [f"stance_{code}" for code, _ in ASKS]
ORGANIZATION_EXPORT_COLUMNS = ["name", "acronym", "kind", "jurisdiction", "website", "people", "notes"] + [
    f"stance_{code}" for code, _ in ASKS]


def people_export_rows(session: Session, stmt):
    """Rows (lists of plain values) for every person the statement selects, in the export's column order."""
    for person in session.scalars(stmt.execution_options(yield_per=1000)):
        offices = person.current_offices() or person.offices
        office = offices[0] if offices else None
        stances = current_stances(person.stances)
        yield [person.full_name, person.title, person.organization.name if person.organization else "",
               "; ".join(c.value for c in person.emails()), "; ".join(c.value for c in person.phones()),
               person.jurisdiction.code if person.jurisdiction else "", "; ".join(t.name for t in person.tags),
               person.notes, office.district.name if office and office.district else "",
               office.party if office else "", ("current" if office.current else "former") if office else ""] + [
            stances[code].position if code in stances else "" for code, _ in ASKS]


def organization_export_rows(session: Session, stmt):
    for organization, people_count in session.execute(stmt):
        stances = current_stances(organization.stances)
        yield [organization.name, organization.acronym, organization.kind,
               organization.jurisdiction.code if organization.jurisdiction else "", organization.website,
               people_count, organization.notes] + [
            stances[code].position if code in stances else "" for code, _ in ASKS]
