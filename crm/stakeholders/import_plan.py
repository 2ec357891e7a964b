"""Planning an import: each row matched to a person in the directory (or none) and compared with them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import ARRAY, Integer, any_, bindparam, select
from sqlalchemy.orm import Session

from crm.reference.models import Jurisdiction
from crm.stakeholders.import_organizations import Organizations, look_alikes
from crm.stakeholders.import_rows import _parse_rows, _Parsed
from crm.stakeholders.models import ContactPoint, Person, Tag, person_tags
from crm.stakeholders.services import tag_name


@dataclass
class ImportRow:
    number: int
    action: str  # create, update, skip
    name: str
    organization: str
    detail: str = ""
    tags: str = ""  # the tags the row gives its person, as the preview shows them


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    new_organizations: list[str] = field(default_factory=list)
    # Organizations written another way than their name ("CPSO" → its College), and new ones that
    # look like an existing one, each [name, key, [[id, label], ...]]: the user picks one or new.
    matched_organizations: list[str] = field(default_factory=list)
    look_alikes: list[list] = field(default_factory=list)
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


@dataclass
class _Plan:
    """What applying an import writes: people to create, people to update (with what they had and the change),
    and the ids of the existing organizations the rows name, by lower-cased name."""

    creates: list[_Parsed]
    updates: list[tuple[_Parsed, _Existing, dict]]
    organizations: dict[str, int]


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


def _plan(session: Session, rows: list[dict[str, str]], report: ImportReport) -> _Plan | None:
    """Parse, match and compare the rows, filling the report; None when a row has an error."""
    jurisdictions = {code: id_ for code, id_ in session.execute(select(Jurisdiction.code, Jurisdiction.id))}
    parsed = _parse_rows(rows, jurisdictions, report.errors)
    if report.errors:
        return None
    read = session.connection().execute  # plain Core rows: no ORM bookkeeping for 100,000s of tuples
    directory = _Directory.read(read)
    matches = _match(parsed, directory, report)
    if report.errors:
        return None
    people = _load(read, set(matches.values()), session.get_bind().dialect.name)
    plan = _compare(parsed, matches, people, directory.organizations, report)
    report.look_alikes = look_alikes(directory.known, parsed, report.new_organizations)
    return plan


@dataclass
class _Directory:
    """What rows are matched against: organizations by folded name (and jurisdiction), people by email and
    by (lower-cased name, organization id), and the keys that match several people."""

    organizations: dict[str, int]
    placed: dict[tuple[str, int | None], int]
    by_email: dict[str, int]
    by_name: dict[tuple[str, int | None], int]
    emails_shared: dict
    names_shared: dict

    known: Organizations = field(default_factory=Organizations)

    @classmethod
    def read(cls, read) -> _Directory:
        """Read with `read` (a connection's execute); archived records first, so an active one replaces them."""
        known = Organizations.read(read)
        emails = read(
            select(ContactPoint.value, ContactPoint.person_id, Person.archived)
            .join(Person)
            .where(ContactPoint.kind == "email")
            .order_by(Person.archived.desc(), Person.id.desc())
        ).all()
        email_keys = [row[0].lower() for row in emails]
        names = read(
            select(Person.full_name, Person.organization_id, Person.id, Person.archived).order_by(
                Person.archived.desc(), Person.id.desc()
            )
        ).all()
        name_keys = [(row[0].lower(), row[1]) for row in names]
        return cls(
            known.by_key,
            known.placed,
            dict(zip(email_keys, (row[1] for row in emails), strict=False)),
            dict(zip(name_keys, (row[2] for row in names), strict=False)),
            _shared(email_keys, emails),
            _shared(name_keys, names),
            known,
        )


def _match(parsed: list[_Parsed], directory: _Directory, report: ImportReport) -> dict[int, int]:
    """The person each row updates, by row number; a row matching several people is an error."""
    matches: dict[int, int] = {}
    for item in parsed:
        if item.organization:
            problem = directory.known.by_acronym(item, report.matched_organizations)
            if problem:
                report.errors.append((item.number, problem))
                continue
            _place_organization(item, directory)
        org_id = directory.organizations.get(item.organization_key) if item.organization else None
        shared = next((e for e in item.emails if e in directory.emails_shared), None)
        person_id = next((directory.by_email[e] for e in item.emails if e in directory.by_email), None)
        if person_id is None and (org_id or not item.organization):
            key = (item.name.lower(), org_id)
            shared = shared or (key in directory.names_shared and item.name)
            person_id = directory.by_name.get(key)
        if shared:
            ids = directory.emails_shared.get(shared) or directory.names_shared[(item.name.lower(), org_id)]
            report.errors.append((item.number, _ambiguous(shared, ids)))
        elif person_id is not None:
            matches[item.number] = person_id
    return matches


def _place_organization(item: _Parsed, directory: _Directory) -> None:
    """The same name in several provinces (each has its Ministry of Health): the row's own, if it has one."""
    here = directory.placed.get((item.organization_key, item.jurisdiction_id))
    if here is not None and here != directory.organizations.get(item.organization_key):
        item.organization_key = f"{item.organization_key}@{item.jurisdiction_id}"
        directory.organizations[item.organization_key] = here


def _ambiguous(shared: str, ids) -> str:
    """The error of a row whose email or name matches several people."""
    return gettext(
        "%(shared)s matches %(count)s people in the directory (%(ids)s), so it is not clear whom this row updates. "
        "Merge them first (open one: Possible duplicates), then import again.",
        shared=shared,
        count=len(ids),
        ids=", ".join(f"#{i}" for i in sorted(ids)),
    )


def _compare(
    parsed: list[_Parsed],
    matches: dict[int, int],
    people: dict[int, _Existing],
    organizations: dict[str, int],
    report: ImportReport,
) -> _Plan:
    """The plan: each row a create, an update or a skip, with the preview's words in the report."""
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
            report.rows.append(
                ImportRow(item.number, "create", item.name, item.organization, ", ".join(item.emails), _tags(item))
            )
            continue
        diff = _diff(person, item, organizations)
        report.rows.append(_update_row(item, person, diff))
        if diff:
            plan.updates.append((item, person, diff))
    return plan


def _update_row(item: _Parsed, person: _Existing, diff: dict) -> ImportRow:
    """The preview's line for a row that matched a person: what changes, or that nothing does."""
    changes = _changes(diff, item)
    if person.full_name.lower() != item.name.lower():  # matched by email: say whose record changes
        changes.insert(0, gettext("%(name)s (#%(id)s), matched by email", name=person.full_name, id=person.id))
    if person.archived:
        changes.append(gettext("an archived record: it stays archived (restore it from its page)"))
    return ImportRow(
        item.number,
        "update" if diff else "skip",
        item.name,
        item.organization,
        "; ".join(changes) if diff else "; ".join(changes + ["already up to date"]),
        _tags(item),
    )


def _tags(item: _Parsed) -> str:
    """The preview's words for the tags a row gives its person, as they are stored."""
    return ", ".join(dict.fromkeys(tag_name(t) for t in item.tags))


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
    if _adds_notes(person, item):
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


def _adds_notes(person: _Existing, item: _Parsed) -> bool:
    """The row has notes the person's notes do not already hold (whole, or as one of their paragraphs)."""
    return bool(item.notes) and item.notes not in (person.notes or "").split("\n\n") and item.notes != person.notes


def _changes(diff: dict, item: _Parsed) -> list[str]:
    """The preview's words for a `_diff`."""
    changes = []
    if "title" in diff:
        changes.append(gettext("title → %(title)s", title=item.title))
    if "jurisdiction_id" in diff:
        changes.append(gettext("jurisdiction → %(code)s", code=item.jurisdiction_code))
    if "notes" in diff:
        changes.append(gettext("notes added"))
    if "organization_id" in diff:
        changes.append(gettext("organization → %(name)s", name=item.organization))
    if "contacts_added" in diff:
        changes.append(gettext("adds %(contacts)s", contacts=", ".join(diff["contacts_added"])))
    if "tags_added" in diff:
        changes.append(gettext("tags + %(tags)s", tags=", ".join(diff["tags_added"])))
    return changes
