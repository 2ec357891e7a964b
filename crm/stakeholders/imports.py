"""Import of a contact sheet (people) and export of filtered lists.

Import columns, matched by header case-insensitively: name (required), title, organization, email, phone,
jurisdiction, tags (`;`-separated), notes. Several emails or phones in one cell are separated by `;`.
A person is matched on email, else on name + organization. Any row error means nothing is applied.

The preview (dry run) makes a plan of every create and update; applying writes that plan, so what is applied is
exactly what was previewed. A preview in the browser saves its plan with the uploaded file, with the revision of
the directory it read (migration 0019); the apply writes it only if the revision has not moved since, and
otherwise the file is previewed again (`apply_saved_plan`). The command line plans and applies in one go.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import ARRAY, Integer, any_, bindparam, insert, select
from sqlalchemy.orm import Session

from crm.audit.services import record, record_many
from crm.bulk import gc_paused, insert_rows, insert_rows_returning_ids, update_rows
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import (
    ASKS,
    ContactPoint,
    Organization,
    Person,
    Tag,
    current_stances,
    looks_like_phone,
    person_tags,
)
from crm.stakeholders.revision import directory_revision, preview_still_current
from crm.stakeholders.services import tag_name, tags_named

NAME_LENGTH = Person.__table__.c.full_name.type.length
IMPORT_COLUMNS = ("name", "title", "organization", "email", "phone", "jurisdiction", "tags", "notes")
# A quick shape check (tens of thousands of rows): one @, no spaces, a dot in a domain of letters, digits, hyphens.
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")


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
    plan: _Plan | None = field(default=None, repr=False)  # a preview's, for `saved_plan`
    revision: int | None = None  # the directory's revision the preview read

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "skip": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts


def _split(cell: str) -> list[str]:
    if ";" not in cell:  # most cells hold one value or none (read_table has stripped them)
        return [cell.strip()] if cell and not cell.isspace() else []
    return [part.strip() for part in cell.split(";") if part.strip()]


@dataclass(slots=True)
class _Parsed:
    number: int
    name: str
    title: str
    organization: str
    emails: list[str]
    phones: list[str]
    jurisdiction_id: int | None
    jurisdiction_code: str
    tags: list[str]
    notes: str
    # Which organization the row names (`_plan`): its name folded (`folded`), with "@<jurisdiction id>" when an
    # organization of that name in the row's jurisdiction is not the one the name alone would pick.
    organization_key: str = ""


# Letters that unaccent (PostgreSQL's fold_text, 0023) spells out and NFKD leaves as they are.
_SPELLED_OUT = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


@lru_cache(maxsize=65536)
def folded(text: str) -> str:
    """Text in lower case without accents, as PostgreSQL's fold_text() (0023): organization names match so."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT)) if not unicodedata.combining(c)
    ).lower()


def _parse_rows(rows, jurisdictions: dict[str, int], report: ImportReport) -> list[_Parsed]:
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
        elif len(name) > NAME_LENGTH:
            errors.append(f"the name is {len(name)} characters long; shorten it to {NAME_LENGTH} at most")
        emails = []
        for email in _split(row.get("email", "")):
            if len(email) <= 254 and EMAIL_RE.match(email):
                emails.append(email.lower())
            else:
                errors.append(f"{email!r} is not an email address (like name@example.org)")
        phones = _split(row.get("phone", ""))
        for phone in phones:
            if not looks_like_phone(phone):
                errors.append(f"{phone!r} is not a phone number (like 416-555-0100)")
        code = row.get("jurisdiction", "").strip().upper()
        jurisdiction_id = jurisdictions.get(code) if code else None
        if code and jurisdiction_id is None:
            errors.append(
                f"unknown jurisdiction {row['jurisdiction']!r}; use a province or territory code "
                "such as ON, or CA for federal"
            )
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
        parsed.append(
            _Parsed(
                number,
                name,
                row.get("title", "")[:200],
                organization[:200],
                emails,
                phones,
                jurisdiction_id,
                code,
                _split(row.get("tags", "")),
                row.get("notes", ""),
                folded(organization[:200]),
            )
        )
    return parsed


# Headers that contact sheets often use for the import's columns (read after lower-casing).
HEADER_ALIASES = {
    "full name": "name",
    "organisation": "organization",
    "company": "organization",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "courriel": "email",
    "phone number": "phone",
    "telephone": "phone",
    "téléphone": "phone",
    "tel": "phone",
    "province": "jurisdiction",
    "province/territory": "jurisdiction",
    "job title": "title",
    "position": "title",
    "note": "notes",
    "tag": "tags",
    "nom complet": "name",
}


def _with_usual_headers(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with a usual header ("Organisation", "Phone number", "E-mail"…) read as the import's column,
    unless the sheet also has that column under its own name."""
    if not rows:
        return rows
    renamed = {
        header: HEADER_ALIASES[header]
        for header in rows[0]
        if header in HEADER_ALIASES and HEADER_ALIASES[header] not in rows[0]
    }
    targets = Counter(renamed.values())
    renamed = {header: column for header, column in renamed.items() if targets[column] == 1}  # "Tel" and
    if not renamed:  # "Telephone" both: neither is read as the phone, and both are listed as ignored
        return rows
    return [{renamed.get(key, key): value for key, value in row.items()} for row in rows]


@gc_paused()
def import_stakeholders(session: Session, rows: list[dict[str, str]], *, apply: bool) -> ImportReport:
    """Preview (apply=False) or apply an import of people; applying happens only when no row has an error.

    A preview's report carries its plan (`saved_plan`), which `apply_saved_plan` writes later, unchanged, when
    the directory has not changed in between."""
    report = ImportReport()
    rows = _with_usual_headers(rows)
    if not rows or "name" not in rows[0]:
        found = ", ".join(rows[0].keys()) if rows else "none"
        report.errors.append(
            (
                1,
                f"The header row has no 'name' column (found: {found}). Name the columns "
                f"{', '.join(IMPORT_COLUMNS)}; only name is required.",
            )
        )
        return report
    report.ignored_columns = [column for column in rows[0] if column not in IMPORT_COLUMNS]
    revision = directory_revision(session, lock=apply)  # before reading: a change after it moves it
    plan = _plan(session, rows, report)
    if plan is None:
        return report
    if apply:
        _write(session, plan, report)
    else:
        report.plan, report.revision = plan, revision
    return report


@gc_paused()
def saved_plan(report: ImportReport) -> dict:
    """A preview's plan as JSON-ready data: what applying it writes, and the directory revision it was made at."""
    plan = report.plan
    return {
        "format": PLAN_FORMAT,
        "revision": report.revision,
        "report": {
            "rows": [[r.number, r.action, r.name, r.organization, r.detail] for r in report.rows],
            "new_organizations": report.new_organizations,
            "ignored_columns": report.ignored_columns,
        },
        "creates": [_parsed_json(item) for item in plan.creates],
        "updates": [
            [
                _parsed_json(item),
                [
                    person.id,
                    person.title,
                    person.jurisdiction_id,
                    person.notes,
                    person.organization_id,
                    sorted(person.contacts),
                    sorted(person.tags),
                ],
                diff,
            ]
            for item, person, diff in plan.updates
        ],
        "organizations": plan.organizations,
    }


@gc_paused()
def apply_saved_plan(session: Session, saved: dict | None) -> ImportReport | None:
    """Write a preview's saved plan, as previewed, if nothing the import reads has changed since the preview
    (the revision is checked with the directory locked against writers until the transaction ends); None when
    something has (or the plan is missing or from another version), so that the caller previews again."""
    if not preview_still_current(session, saved, PLAN_FORMAT):
        return None
    shown = saved["report"]
    report = ImportReport(
        rows=[ImportRow(*row) for row in shown["rows"]],
        new_organizations=shown["new_organizations"],
        ignored_columns=shown["ignored_columns"],
    )
    plan = _Plan(
        [_Parsed(*item) for item in saved["creates"]],
        [
            (_Parsed(*item), _Existing(*person[:5], set(person[5]), set(person[6])), diff)
            for item, person, diff in saved["updates"]
        ],
        saved["organizations"],
    )
    _write(session, plan, report)
    return report


# Bumped when the saved plan's layout changes: a preview saved by other code is previewed again, not applied.
PLAN_FORMAT = 3  # 2: a row's notes are added below the person's; 3: rows keep their organization's key


@dataclass
class _Plan:
    """What applying an import writes: people to create, people to update (with what they had and the change),
    and the ids of the existing organizations the rows name, by lower-cased name."""

    creates: list[_Parsed]
    updates: list[tuple[_Parsed, _Existing, dict]]
    organizations: dict[str, int]


def _parsed_json(item: _Parsed) -> list:
    return [
        item.number,
        item.name,
        item.title,
        item.organization,
        item.emails,
        item.phones,
        item.jurisdiction_id,
        item.jurisdiction_code,
        item.tags,
        item.notes,
        item.organization_key,
    ]


def _plan(session: Session, rows: list[dict[str, str]], report: ImportReport) -> _Plan | None:
    """Parse, match and compare the rows, filling the report; None when a row has an error."""
    jurisdictions = {code: id_ for code, id_ in session.execute(select(Jurisdiction.code, Jurisdiction.id))}
    parsed = _parse_rows(rows, jurisdictions, report)
    if report.errors:
        return None
    # Archived records are read first, so an active one replaces them: it is the one matched.
    read = session.connection().execute  # plain Core rows: no ORM bookkeeping for 100,000s of tuples
    organizations: dict[str, int] = {}
    placed: dict[tuple[str, int | None], int] = {}
    for id_, name, jurisdiction_id, archived in read(
        select(Organization.id, Organization.name, Organization.jurisdiction_id, Organization.archived).order_by(
            Organization.archived.desc(), Organization.id.desc()
        )
    ):
        organizations[folded(name)] = id_
        if not archived:  # (an archived one is matched by its name only, when no active one has it)
            placed[(folded(name), jurisdiction_id)] = id_
    emails = read(
        select(ContactPoint.value, ContactPoint.person_id, Person.archived)
        .join(Person)
        .where(ContactPoint.kind == "email")
        .order_by(Person.archived.desc(), Person.id.desc())
    ).all()
    email_keys = [row[0].lower() for row in emails]
    by_email = dict(zip(email_keys, (row[1] for row in emails), strict=False))
    names = read(
        select(Person.full_name, Person.organization_id, Person.id, Person.archived).order_by(
            Person.archived.desc(), Person.id.desc()
        )
    ).all()
    name_keys = [(row[0].lower(), row[1]) for row in names]
    by_name = dict(zip(name_keys, (row[2] for row in names), strict=False))
    emails_shared, names_shared = _shared(email_keys, emails), _shared(name_keys, names)
    matches: dict[int, int] = {}
    for item in parsed:
        if item.organization:
            # The same name in several provinces (each has its Ministry of Health): the row's own, if it has one.
            here = placed.get((item.organization_key, item.jurisdiction_id))
            if here is not None and here != organizations[item.organization_key]:
                item.organization_key = f"{item.organization_key}@{item.jurisdiction_id}"
                organizations[item.organization_key] = here
        org_id = organizations.get(item.organization_key) if item.organization else None
        shared = next((e for e in item.emails if e in emails_shared), None)
        person_id = next((by_email[e] for e in item.emails if e in by_email), None)
        if person_id is None and (org_id or not item.organization):
            key = (item.name.lower(), org_id)
            shared = shared or (key in names_shared and item.name)
            person_id = by_name.get(key)
        if shared:
            ids = emails_shared.get(shared) or names_shared[(item.name.lower(), org_id)]
            report.errors.append(
                (
                    item.number,
                    f"{shared} matches {len(ids)} people in the directory ("
                    + ", ".join(f"#{i}" for i in sorted(ids))
                    + "), so it is not clear whom this row "
                    "updates. Merge them first (open one: Possible duplicates), then import again.",
                )
            )
        elif person_id is not None:
            matches[item.number] = person_id
    if report.errors:
        return None
    people = _load(read, set(matches.values()), session.get_bind().dialect.name)
    new_keys: set[str] = set()
    plan = _Plan([], [], {})
    for item in parsed:
        person = people.get(matches.get(item.number))
        org_key = item.organization_key
        if item.organization and org_key in organizations:
            plan.organizations[org_key] = organizations[org_key]
        elif item.organization and org_key not in new_keys:
            new_keys.add(org_key)
            report.new_organizations.append(item.organization)
        if person is None:
            plan.creates.append(item)
            report.rows.append(ImportRow(item.number, "create", item.name, item.organization, ", ".join(item.emails)))
            continue
        diff = _diff(person, item, organizations)
        changes = _changes(diff, item)
        if person.full_name.lower() != item.name.lower():  # matched by email: say whose record changes
            changes.insert(0, f"{person.full_name} (#{person.id}), matched by email")
        if person.archived:
            changes.append("an archived record: it stays archived (restore it from its page)")
        report.rows.append(
            ImportRow(
                item.number,
                "update" if diff else "skip",
                item.name,
                item.organization,
                "; ".join(changes) if diff else "; ".join(changes + ["already up to date"]),
            )
        )
        if diff:
            plan.updates.append((item, person, diff))
    return plan


def _shared(keys: list, rows: list) -> dict:
    """The keys (emails, or (name, organization) pairs) that match more than one person of the kind a match
    prefers (active, else archived) → those people's ids. `rows` end with (person id, archived), archived first,
    in the order of their `keys`; the repeated keys are found at C speed, and only their rows are looked at."""
    counts = Counter(keys)
    if len(counts) == len(keys):
        return {}
    repeated = {key for key, n in counts.items() if n > 1}
    found: dict = {}
    several: dict = {}
    for key, row in zip(keys, rows, strict=False):
        if key not in repeated:
            continue
        id_, archived = row[-2], row[-1]
        seen = found.get(key)
        if seen is not None and seen[1] == archived and seen[0] != id_:
            several.setdefault(key, {seen[0]}).add(id_)
        elif seen is not None and seen[1] != archived:  # an active person after archived ones: only they count
            several.pop(key, None)
        found[key] = (id_, archived)
    return several


def _write(session: Session, plan: _Plan, report: ImportReport) -> None:
    """Apply a plan (the report is the preview's: its counts go into the import's audit event)."""
    created, updated = _apply(session, plan.creates, plan.updates, plan.organizations, report.new_organizations)
    report.applied = True
    record(
        session,
        "import",
        "people",
        None,
        report.counts
        | {"organizations_created": len(report.new_organizations), "created_ids": created, "updated_ids": updated},
    )
    _audit_each_person(session, plan.creates, created, plan.updates, plan.organizations)
    session.flush()


@dataclass
class _Existing:
    """What an import compares against, read as plain rows (no ORM objects for tens of thousands of people)."""

    id: int
    title: str | None
    jurisdiction_id: int | None
    notes: str | None
    organization_id: int | None
    contacts: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    full_name: str = ""  # (for the preview's words only: not saved with the plan)
    archived: bool = False


def _among(column, ids: list[int], dialect: str):
    """`column IN ids`: one array parameter on PostgreSQL, bound parameters elsewhere."""
    if dialect == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _load(read, ids: set[int], dialect: str) -> dict[int, _Existing]:
    """The matched people's fields, contacts and tags: in chunks of 500 ids, or on PostgreSQL all at once with
    one array parameter (`= ANY(:ids)`), as 500 bound parameters a query cost more to send than to run."""
    people: dict[int, _Existing] = {}
    ordered = sorted(ids)
    size = (len(ordered) or 1) if dialect == "postgresql" else 500
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        for row in read(
            select(
                Person.id,
                Person.title,
                Person.jurisdiction_id,
                Person.notes,
                Person.organization_id,
                Person.full_name,
                Person.archived,
            ).where(_among(Person.id, chunk, dialect))
        ):
            people[row.id] = _Existing(*row[:5], full_name=row.full_name, archived=row.archived)
        for person_id, value in read(
            select(ContactPoint.person_id, ContactPoint.value).where(_among(ContactPoint.person_id, chunk, dialect))
        ):
            people[person_id].contacts.add(value.lower())
        for person_id, name in read(
            select(person_tags.c.person_id, Tag.name)
            .join(Tag, Tag.id == person_tags.c.tag_id)
            .where(_among(person_tags.c.person_id, chunk, dialect))
        ):
            people[person_id].tags.add(name)
    return people


def _diff(person: _Existing, item: _Parsed, organizations) -> dict:
    """What applying the row changes on the person: fields as [before, after], contacts and tags added."""
    diff: dict = {}
    if item.title and item.title != (person.title or ""):
        diff["title"] = [person.title, item.title]
    if item.jurisdiction_id and item.jurisdiction_id != person.jurisdiction_id:
        diff["jurisdiction_id"] = [person.jurisdiction_id, item.jurisdiction_id]
    if item.notes and item.notes not in (person.notes or "").split("\n\n") and item.notes != person.notes:
        # Added below what is there, never in its place: notes written by hand survive a re-imported sheet.
        diff["notes"] = [person.notes, f"{person.notes}\n\n{item.notes}" if person.notes else item.notes]
    if item.organization and organizations.get(item.organization_key) != person.organization_id:
        diff["organization_id"] = [person.organization_id, organizations.get(item.organization_key)]
    new_contacts = [v for v in item.emails + item.phones if v.lower() not in person.contacts]
    if new_contacts:
        diff["contacts_added"] = new_contacts
    new_tags = [t for t in item.tags if tag_name(t) not in person.tags]
    if new_tags:
        diff["tags_added"] = new_tags
    return diff


def _changes(diff: dict, item: _Parsed) -> list[str]:
    """The preview's words for a `_diff`."""
    changes = []
    if "title" in diff:
        changes.append(f"title → {item.title}")
    if "jurisdiction_id" in diff:
        changes.append(f"jurisdiction → {item.jurisdiction_code}")
    if "notes" in diff:
        changes.append("notes added")
    if "organization_id" in diff:
        changes.append(f"organization → {item.organization}")
    if "contacts_added" in diff:
        changes.append("adds " + ", ".join(diff["contacts_added"]))
    if "tags_added" in diff:
        changes.append("tags + " + ", ".join(diff["tags_added"]))
    return changes


def _apply(
    session: Session,
    creates: list[_Parsed],
    updates: list[tuple[_Parsed, _Existing, dict]],
    organizations: dict[str, int],
    new_organizations: list[str],
) -> tuple[list[int], list[int]]:
    """Write the import with bulk statements (one audit event for the whole import, written by the caller)."""
    if new_organizations:
        table = Organization.__table__
        ids = session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{"name": name, "kind": "other", "archived": False} for name in new_organizations],
        ).all()
        organizations.update({folded(name): id_ for name, id_ in zip(new_organizations, ids, strict=False)})
    tags = {
        tag.name: tag
        for tag in tags_named(
            session, [t for item, _, _ in updates for t in item.tags] + [t for item in creates for t in item.tags]
        )
    }
    session.flush()

    def organization_id(item, current=None):
        return organizations[item.organization_key] if item.organization else current

    created: list[int] = []
    if creates:
        created = insert_rows_returning_ids(
            session,
            Person.__table__,
            [
                {
                    "full_name": item.name,
                    "title": item.title or None,
                    "notes": item.notes or None,
                    "archived": False,
                    "jurisdiction_id": item.jurisdiction_id,
                    "organization_id": organization_id(item),
                }
                for item in creates
            ],
        )
    contacts, links = [], []
    for person_id, item in zip(created, creates, strict=False):
        contacts += _contact_rows(person_id, item, set())
        links += [{"person_id": person_id, "tag_id": tags[name].id} for name in {tag_name(t) for t in item.tags}]
    if updates:
        update_rows(
            session,
            Person.__table__,
            [
                {
                    "id": person.id,
                    "title": item.title or person.title,
                    "notes": diff.get("notes", [None, person.notes])[1],
                    "jurisdiction_id": item.jurisdiction_id or person.jurisdiction_id,
                    "organization_id": organization_id(item, person.organization_id),
                }
                for item, person, diff in updates
            ],
        )
    for item, person, _ in updates:
        contacts += _contact_rows(person.id, item, person.contacts)
        links += [
            {"person_id": person.id, "tag_id": tags[name].id} for name in {tag_name(t) for t in item.tags} - person.tags
        ]
    insert_rows(session, ContactPoint.__table__, contacts)
    insert_rows(session, person_tags, links)
    return list(created), [person.id for _, person, _ in updates]


def _audit_each_person(
    session: Session,
    creates: list[_Parsed],
    created: list[int],
    updates: list[tuple[_Parsed, _Existing, dict]],
    organizations: dict[str, int],
) -> None:
    """One audit event per person the import created or changed, with fields before and after, like an edit by hand."""
    nobody = _Existing(0, None, None, None, None)
    events = [
        (
            "create",
            Person.__tablename__,
            person_id,
            {"full_name": [None, item.name]} | _diff(nobody, item, organizations) | {"source": "import"},
        )
        for person_id, item in zip(created, creates, strict=False)
    ]
    events += [
        ("update", Person.__tablename__, person.id, diff | {"source": "import"}) for item, person, diff in updates
    ]
    record_many(session, events)


def _contact_rows(person_id: int, item: _Parsed, existing: set[str]) -> list[dict]:
    rows, seen = [], set(existing)
    for kind, values in (("email", item.emails), ("phone", item.phones)):
        for value in values:
            if value.lower() not in seen:
                seen.add(value.lower())
                rows.append({"person_id": person_id, "kind": kind, "label": "work", "value": value})
    return rows


# --- export ----------------------------------------------------------------------------------------------------

PEOPLE_EXPORT_COLUMNS = list(IMPORT_COLUMNS) + ["riding", "party", "office"] + [f"stance_{code}" for code, _ in ASKS]
ORGANIZATION_EXPORT_COLUMNS = ["name", "acronym", "kind", "jurisdiction", "website", "people", "notes"] + [
    f"stance_{code}" for code, _ in ASKS
]


def people_export_rows(session: Session, stmt):
    """Rows (lists of plain values) for every person the statement selects, in the export's column order."""
    for person in session.scalars(stmt.execution_options(yield_per=1000)):
        offices = person.current_offices() or person.offices
        office = offices[0] if offices else None
        stances = current_stances(person.stances)
        yield [
            person.full_name,
            person.title,
            person.organization.name if person.organization else "",
            "; ".join(c.value for c in person.emails()),
            "; ".join(c.value for c in person.phones()),
            person.jurisdiction.code if person.jurisdiction else "",
            "; ".join(t.name for t in person.tags),
            person.notes,
            office.district.name if office and office.district else "",
            office.party if office else "",
            ("current" if office.current else "former") if office else "",
        ] + [stances[code].position if code in stances else "" for code, _ in ASKS]


def organization_export_rows(session: Session, stmt):
    for organization, people_count in session.execute(stmt):
        stances = current_stances(organization.stances)
        yield [
            organization.name,
            organization.acronym,
            organization.kind,
            organization.jurisdiction.code if organization.jurisdiction else "",
            organization.website,
            people_count,
            organization.notes,
        ] + [stances[code].position if code in stances else "" for code, _ in ASKS]
