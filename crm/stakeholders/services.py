"""Stakeholder services: the directory (lists, edits, stances, archive, merge)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, literal, or_, select, union, union_all, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from crm.audit.services import record
from crm.errors import ValidationError
from crm.extensions import db
from crm.pagination import Page, capped_page
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.sql import (
    TRIGRAM,
    ByDialect,
    contains_folded,
    contains_lowered,
    contains_text,
    fold,
    in_subquery,
    sqlite_trigram_ids,
)
from crm.stakeholders.models import (
    ASKS,
    ORGANIZATION_KINDS,
    POSITIONS,
    ContactPoint,
    ElectedOffice,
    Organization,
    Person,
    Stance,
    Tag,
    person_tags,
)

# --- lists and search -------------------------------------------------------------------------------------


@dataclass
class DirectoryFilters:
    """What a list page or an export is filtered and sorted by (all optional)."""

    q: str = ""
    kind: str = ""
    jurisdiction: str = ""
    party: str = ""
    tag: str = ""
    ask: str = ""
    position: str = ""
    status: str = ""  # current / former (elected office)
    organization_id: int | None = None
    sort: str = "name"


# Names sort ignoring case, on the lowercased name the database keeps (`search_name`), whose index (with the id)
# gives a page in index order, not sorted.
PEOPLE_SORTS = {
    "name": lambda: (Person.search_name, Person.id),
    "-name": lambda: (Person.search_name.desc(), Person.id.desc()),
    # People with no organization last, on both databases (SQLite would put NULL first).
    "organization": lambda: (Organization.id.is_(None), Organization.name, Person.full_name, Person.id),
    "newest": lambda: (Person.id.desc(),),
}
ORGANIZATION_SORTS = {
    "name": lambda: (fold(Organization.name), Organization.id),
    "-name": lambda: (fold(Organization.name).desc(), Organization.id.desc()),
    "kind": lambda: (Organization.kind, fold(Organization.name), Organization.id),
    "newest": lambda: (Organization.id.desc(),),
}


def _newest_position(subject_column, subject_id, ask: str):
    return (
        select(Stance.position)
        .where(subject_column == subject_id, Stance.ask == ask)
        .order_by(Stance.as_of.desc(), Stance.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _stance_is(subject_column, subject_id, ask: str, position: str):
    """The subject's newest stance on `ask` is `position` (no stance at all counts as unknown); with no ask, its
    newest stance on any one of the three. Except for unknown, only subjects that have ever taken that position
    are tested (one index lookup narrows the list before each candidate's newest stance is read)."""
    asks = [ask] if ask in dict(ASKS) else [code for code, _ in ASKS]
    newest = or_(
        *(func.coalesce(_newest_position(subject_column, subject_id, code), "unknown") == position for code in asks)
    )
    if position == "unknown":
        return newest
    return and_(subject_id.in_(select(subject_column).where(Stance.position == position, Stance.ask.in_(asks))), newest)


def _jurisdiction_id(code: str):
    return select(Jurisdiction.id).where(Jurisdiction.code == code.upper()).scalar_subquery()


def _person_row_options():
    """Everything a list row or an export row shows about a person."""
    return (
        joinedload(Person.organization),
        joinedload(Person.jurisdiction),
        selectinload(Person.contacts),
        selectinload(Person.tags),
        selectinload(Person.stances),
        selectinload(Person.offices).joinedload(ElectedOffice.district),
    )


def people_page(session: Session, filters: DirectoryFilters, *, limit: int, offset: int, exact: bool = False) -> Page:
    """One page of `people_query`, counted up to 1,000 unless `exact` (see `capped_page`): a broad search (a
    common surname matching 10,000 people) then reads the first thousand matches in order, not all of them twice
    to count and sort them."""

    def load(ids):
        return {
            p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)).options(*_person_row_options()))
        }

    if filters.sort != "organization":
        ids = people_query(filters).with_only_columns(Person.id.label("id"))
        return capped_page(session, ids, load, limit=limit, offset=offset, exact=exact)
    # By organization: the people of each organization in its name order, then the people with none. In two
    # parts, each can be read in order: organizations by their name index, each one's people by theirs (PostgreSQL
    # sorts the ties within an organization as it goes), instead of sorting everyone to find a page.
    base = people_query(replace(filters, sort="name")).with_only_columns(Person.id.label("id")).order_by(None)
    parts = [
        base.join(Organization, Organization.id == Person.organization_id).order_by(
            Organization.name, Person.search_name, Person.id
        ),
        base.where(Person.organization_id.is_(None)).order_by(Person.search_name, Person.id),
    ]
    return capped_page(session, parts, load, limit=limit, offset=offset, exact=exact)


def _search(q: str):
    """People whose name, organization (name or acronym), contact or riding contains `q`, ignoring case."""
    organizations = select(Organization.id).where(
        or_(contains_folded(Organization.name, q), contains_folded(Organization.acronym, q))
    )
    contacts = select(ContactPoint.person_id).where(contains_text(ContactPoint.value, q))
    ridings = (
        select(ElectedOffice.person_id)
        .join(ElectedOffice.district)
        .where(contains_folded(_dashes_as_spaces(ElectoralDistrict.name), DASHES.sub(" ", q).replace(".", "")))
    )
    other = aliased(Person)  # (each arm of the union reads people on its own)
    if len(q) < TRIGRAM:
        # Too short for a trigram index on either database: each arm is a scan. PostgreSQL tests every person
        # against the arms' ids hashed once (`= ANY(ARRAY(…))` would compare them with each of a broad arm's ids
        # in turn: 1.4 s for "an", which names thousands of organizations).
        among = _in
        named = select(other.id).where(contains_text(other.full_name, q))
        contacted = contacts
    else:
        # PostgreSQL: every arm can use a trigram index (see the models), so the OR becomes a bitmap OR over four
        # index scans instead of a scan of every person. SQLite: names and contacts are looked up in its
        # trigram tables (migration 0018).
        among = in_subquery
        named = sqlite_trigram_ids("people_search", q)
        contacted = select(ContactPoint.person_id).where(
            ContactPoint.id.in_(sqlite_trigram_ids("contact_points_search", q))
        )
    arms = [ridings]
    digits = re.sub(r"\D", "", q)
    if len(digits) == 11 and digits.startswith("1"):  # +1 416…: North America's country code, often not stored
        digits = digits[1:]
    if PHONE_LIKE.match(q) and len(digits) >= 4:
        # A phone number, however it is punctuated here or there: "4165550101" finds 416-555-0101 (a scan of
        # the phone numbers, for digit-only searches alone).
        arms.append(
            select(ContactPoint.person_id).where(
                ContactPoint.kind == "phone", contains_text(_digits_of(ContactPoint.value), digits)
            )
        )
    # SQLite: the union of the arms' ids, built once, is faster than an OR tested on every person (the few
    # organizations and ridings are scanned).
    return ByDialect(
        or_(
            contains_lowered(Person.search_name, q),
            among(Person.organization_id, organizations),
            among(Person.id, contacts),
            *(among(Person.id, arm) for arm in arms),
        ),
        sqlite=Person.id.in_(
            union(named, contacted, *arms, select(other.id).where(other.organization_id.in_(organizations)))
        ),
    )


PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


def _digits_of(column):
    return _replace_each(column, " -().+", "")


# Riding names join their parts with an em dash ("Scarborough—Guildwood"), which nobody types: a search matches
# them with every dash, and the spaces around it, read as one space (the ridings are few, and scanned).
DASHES = re.compile(r"\s*[-‐‑‒–—―]\s*")


def _dashes_as_spaces(column):
    return _replace_each(_replace_each(column, "—–-", " "), ".", "")  # "St Catharines" finds St. Catharines


def _replace_each(column, marks: str, by: str):
    """`column` with each of `marks` replaced by `by`, in SQL."""
    for mark in marks:
        column = func.replace(column, mark, by)
    return column


def _in(column, subquery):
    return column.in_(subquery)


def people_query(filters: DirectoryFilters):
    """Non-archived people matching the filters, with everything a list row shows eager-loaded.

    Filters on related rows are `id IN (subquery)`, so each related table is scanned once, not once per person.
    """
    stmt = select(Person).where(Person.archived.is_(False)).options(*_person_row_options())
    if filters.q:
        stmt = stmt.where(_search(filters.q.strip()))
    if filters.kind:
        stmt = stmt.where(Person.organization_id.in_(select(Organization.id).where(Organization.kind == filters.kind)))
    if filters.jurisdiction:
        stmt = stmt.where(Person.jurisdiction_id == _jurisdiction_id(filters.jurisdiction))
    if filters.organization_id:
        stmt = stmt.where(Person.organization_id == filters.organization_id)
    if filters.party:
        stmt = stmt.where(
            Person.id.in_(
                select(ElectedOffice.person_id).where(
                    ElectedOffice.party == filters.party, ElectedOffice.current.is_(filters.status != "former")
                )
            )
        )
    if filters.status == "current":
        stmt = stmt.where(Person.id.in_(select(ElectedOffice.person_id).where(ElectedOffice.current.is_(True))))
    elif filters.status == "former":
        stmt = stmt.where(
            Person.id.in_(select(ElectedOffice.person_id)),
            Person.id.not_in(select(ElectedOffice.person_id).where(ElectedOffice.current.is_(True))),
        )
    if filters.tag:
        stmt = stmt.where(
            Person.id.in_(
                select(person_tags.c.person_id)
                .join(Tag, Tag.id == person_tags.c.tag_id)
                .where(Tag.name == tag_name(filters.tag))
            )
        )
    if filters.position:
        stmt = stmt.where(_stance_is(Stance.person_id, Person.id, filters.ask, filters.position))
    if filters.sort == "organization":
        stmt = stmt.outerjoin(Organization, Organization.id == Person.organization_id)
    return stmt.order_by(*PEOPLE_SORTS[filters.sort if filters.sort in PEOPLE_SORTS else "name"]())


def organizations_query(filters: DirectoryFilters):
    """Rows of (Organization, number of people) for non-archived organizations matching the filters."""
    people = (
        select(func.count(Person.id))
        .where(Person.organization_id == Organization.id, Person.archived.is_(False))
        .scalar_subquery()
    )
    stmt = (
        select(Organization, people.label("people_count"))
        .where(Organization.archived.is_(False))
        .options(joinedload(Organization.jurisdiction), selectinload(Organization.stances))
    )
    if filters.q:
        # Every word, in any order, in the name or the acronym: "college physicians ontario" finds the College of
        # Physicians and Surgeons of Ontario.
        stmt = stmt.where(
            *(
                or_(contains_folded(Organization.name, word), contains_folded(Organization.acronym, word))
                for word in filters.q.split()[:10]
            )
        )
    if filters.kind:
        stmt = stmt.where(Organization.kind == filters.kind)
    if filters.jurisdiction:
        stmt = stmt.where(Organization.jurisdiction_id == _jurisdiction_id(filters.jurisdiction))
    if filters.position:
        stmt = stmt.where(_stance_is(Stance.organization_id, Organization.id, filters.ask, filters.position))
    return stmt.order_by(*ORGANIZATION_SORTS.get(filters.sort, ORGANIZATION_SORTS["name"])())


# The aliases of probable_duplicates, made once: an alias built per call is adapted anew every time (about 2 ms
# of Python per list page).
_MINE, _THEIRS, _OTHER = aliased(ContactPoint), aliased(ContactPoint), aliased(Person)


def probable_duplicates(session: Session, people: list[Person]) -> dict[int, set[int]]:
    """For each listed person, the other active people sharing an email, or the name within one organization."""
    ids = [p.id for p in people]
    if not ids:
        return {}
    mine, theirs, other = _MINE, _THEIRS, _OTHER
    by_email = (
        select(mine.person_id.label("person_id"), theirs.person_id.label("other_id"))
        .join(theirs, and_(theirs.value == mine.value, theirs.kind == "email", theirs.person_id != mine.person_id))
        .join(other, and_(other.id == theirs.person_id, other.archived.is_(False)))
        .where(mine.kind == "email", mine.person_id.in_(ids))
    )
    by_name = (
        select(Person.id, other.id)
        .join(
            other,
            and_(
                func.lower(other.full_name) == func.lower(Person.full_name),
                other.organization_id == Person.organization_id,
                other.id != Person.id,
                other.archived.is_(False),
            ),
        )
        .where(Person.id.in_(ids), Person.organization_id.is_not(None))
    )
    found: dict[int, set[int]] = {}
    for person_id, other_id in session.execute(union_all(by_email, by_name)):
        found.setdefault(person_id, set()).add(other_id)
    return found


def list_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter forms: jurisdictions and the parties seen on elected offices."""
    jurisdictions = [
        (j.code, f"{j.code} — {j.name}") for j in session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))
    ]
    parties = [
        (p, p)
        for p in session.scalars(
            select(ElectedOffice.party).where(ElectedOffice.party.is_not(None)).distinct().order_by(ElectedOffice.party)
        )
    ]
    return {"jurisdictions": jurisdictions, "parties": parties}


def get_person(session: Session, person_id: int) -> Person | None:
    return session.scalar(
        select(Person)
        .where(Person.id == person_id)
        .options(
            joinedload(Person.organization),
            joinedload(Person.jurisdiction),
            selectinload(Person.contacts),
            selectinload(Person.tags),
            selectinload(Person.stances),
            selectinload(Person.offices).joinedload(ElectedOffice.district),
            selectinload(Person.offices).joinedload(ElectedOffice.jurisdiction),
        )
    )


def get_organization(session: Session, organization_id: int) -> Organization | None:
    return session.scalar(
        select(Organization)
        .where(Organization.id == organization_id)
        .options(joinedload(Organization.jurisdiction), selectinload(Organization.stances))
    )


def organization_people(session: Session, organization: Organization, limit: int = 50) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .where(Person.organization_id == organization.id, Person.archived.is_(False))
            .options(selectinload(Person.contacts))
            .order_by(Person.search_name, Person.id)
            .limit(limit)
        )
    )


# --- create, edit, archive, stances --------------------------------------------------------------------------


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
        raise ValidationError("organization_name", "Choose an organization from the list.")
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
        raise ValidationError("kind", "Choose one of the listed kinds.")
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


EARLIEST_STANCE = date(1990, 1, 1)  # before ITPO's asks existed: a date earlier is a typing mistake


def add_stance(
    session: Session,
    *,
    ask: str,
    position: str,
    as_of: date,
    source: str | None,
    note: str | None,
    person: Person | None = None,
    organization: Organization | None = None,
    author_id: int | None = None,
) -> Stance:
    """Record a new stance; earlier ones stay as history and the newest (by date) is the current one."""
    if ask not in dict(ASKS):
        raise ValidationError("ask", "Choose one of the three asks.")
    if position not in dict(POSITIONS):
        raise ValidationError("position", "Choose supportive, neutral, opposed or unknown.")
    if (person is None) == (organization is None):
        raise ValidationError(None, "A stance belongs to one person or one organization.")
    # (UTC's date: every Canadian time zone is behind UTC, so a date after it is in the future everywhere here.)
    if as_of < EARLIEST_STANCE:
        raise ValidationError(
            "as_of", f"Enter a date from {EARLIEST_STANCE.year} on: the date the stance was stated or observed."
        )
    if as_of > datetime.now(UTC).date():
        raise ValidationError(
            "as_of",
            "That date is in the future. Enter the date the stance was stated or "
            "observed, today at the latest: the newest stance is shown as the current one.",
        )
    stance = Stance(
        ask=ask,
        position=position,
        as_of=as_of,
        source=source or None,
        note=note or None,
        person=person,
        organization=organization,
        created_by_id=author_id,
    )
    session.add(stance)
    session.flush()
    return stance


# --- duplicates and merge ------------------------------------------------------------------------------------


def duplicates_of(session: Session, person: Person) -> list[Person]:
    """Other active people who are probably the same person."""
    ids = probable_duplicates(session, [person]).get(person.id, set())
    if not ids:
        return []
    return list(
        session.scalars(
            select(Person).where(Person.id.in_(ids)).options(joinedload(Person.organization)).order_by(Person.id)
        )
    )


def _tables_linking_people():
    """Every (table, column) with a foreign key to people.id: links added later by other domains move too."""
    for table in db.metadata.sorted_tables:
        if table.name in ("contact_points", "person_tags"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "people" and fk.column.name == "id":
                yield table, fk.parent


def merge_people(session: Session, keep: Person, duplicate: Person) -> Person:
    """Fold `duplicate` into `keep`: every link moves to `keep`, then `duplicate` is deleted; audited."""
    if keep.id == duplicate.id:
        raise ValidationError(None, "Choose two different people to merge.")
    session.flush()
    moved: dict[str, int] = {}
    have = {(c.kind, c.value.lower()) for c in keep.contacts}
    for point in list(duplicate.contacts):
        if (point.kind, point.value.lower()) in have:
            duplicate.contacts.remove(point)
        else:
            duplicate.contacts.remove(point)
            keep.contacts.append(ContactPoint(kind=point.kind, label=point.label, value=point.value))
            have.add((point.kind, point.value.lower()))
            moved["contact_points"] = moved.get("contact_points", 0) + 1
    new_tags = [tag for tag in duplicate.tags if tag not in keep.tags]
    keep.tags.extend(new_tags)
    if new_tags:
        moved["tags"] = len(new_tags)
    for field in ("title", "organization_id", "jurisdiction_id"):
        if getattr(keep, field) is None and getattr(duplicate, field) is not None:
            setattr(keep, field, getattr(duplicate, field))
    if duplicate.notes and duplicate.notes != keep.notes:
        keep.notes = "\n\n".join(part for part in (keep.notes, duplicate.notes) if part)
    session.flush()
    for table, column in _tables_linking_people():
        result = session.execute(update(table).where(column == duplicate.id).values({column.name: keep.id}))
        if result.rowcount:
            moved[table.name] = moved.get(table.name, 0) + result.rowcount
    record(
        session,
        "merge",
        "people",
        keep.id,
        {"merged_id": duplicate.id, "merged_name": duplicate.full_name, "moved": moved},
    )
    duplicate_id = duplicate.id
    session.flush()
    session.expire(duplicate)
    session.expire(keep)
    session.delete(session.get(Person, duplicate_id))
    session.flush()
    return keep
