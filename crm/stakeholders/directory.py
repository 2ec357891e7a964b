"""The directory's lists, search and filters: people and organizations pages and exports read here."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from crm.lib.pagination import Page, capped_page
from crm.lib.sql import (
    TRIGRAM,
    ByDialect,
    contains_folded,
    contains_lowered,
    contains_text,
    fold,
    in_subquery,
    sqlite_trigram_ids,
)
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ASKS, ContactPoint, ElectedOffice, Organization, Person, Stance, Tag, person_tags
from crm.stakeholders.services import tag_name


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


# Names sort ignoring case, on the lowercased name the database keeps (`search_name`), whose index
# (with the id) gives a page in index order, not sorted.
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
    # By organization: the people of each organization in its name order, then the people with
    # none. In two parts, each can be read in order: organizations by their name index, each one's
    # people by theirs (PostgreSQL sorts the ties within an organization as it goes), instead of
    # sorting everyone to find a page.
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
    other = aliased(Person)  # (each arm of the union reads people on its own)
    among, named, contacted = _name_and_contact_arms(q, contacts, other)
    arms = [_riding_arm(q), *_phone_arms(q)]
    # SQLite: the union of the arms' ids, built once, is faster than an OR tested on every person (the
    # few organizations and ridings are scanned).
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


def _name_and_contact_arms(q: str, contacts, other):
    """How to test a person against an arm, and SQLite's arms for names and contacts: scans for a short
    `q`, trigram lookups otherwise. Design: docs/design-notes.md, "stakeholders/directory.py: _search"."""
    if len(q) < TRIGRAM:
        return _in, select(other.id).where(contains_text(other.full_name, q)), contacts
    contacted = select(ContactPoint.person_id).where(
        ContactPoint.id.in_(sqlite_trigram_ids("contact_points_search", q))
    )
    return in_subquery, sqlite_trigram_ids("people_search", q), contacted


def _riding_arm(q: str):
    """People holding an office in a riding whose name contains `q`, dashes and dots aside."""
    return (
        select(ElectedOffice.person_id)
        .join(ElectedOffice.district)
        .where(contains_folded(_dashes_as_spaces(ElectoralDistrict.name), DASHES.sub(" ", q).replace(".", "")))
    )


def _phone_arms(q: str) -> list:
    """For a `q` that looks like a phone number, the people with a phone whose digits contain its digits,
    however either is punctuated: "4165550101" finds 416-555-0101 (a scan of the phone numbers)."""
    digits = re.sub(r"\D", "", q)
    if len(digits) == 11 and digits.startswith("1"):  # +1 416…: North America's code, often not stored
        digits = digits[1:]
    if not (PHONE_LIKE.match(q) and len(digits) >= 4):
        return []
    return [
        select(ContactPoint.person_id).where(
            ContactPoint.kind == "phone", contains_text(_digits_of(ContactPoint.value), digits)
        )
    ]


PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


def _digits_of(column):
    return _replace_each(column, " -().+", "")


# Riding names join their parts with an em dash ("Scarborough—Guildwood"), which nobody types: a
# search matches them with every dash, and the spaces around it, read as one space (the ridings are
# few, and scanned).
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
        # Every word, in any order, in the name or the acronym: "college physicians ontario" finds
        # the College of Physicians and Surgeons of Ontario.
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


def organizations_named(session: Session, q: str, limit: int = 3) -> list[Organization]:
    """The organizations a search names (by name or acronym), for a people search that found no one."""
    stmt = organizations_query(DirectoryFilters(q=q)).limit(limit)
    return [row[0] for row in session.execute(stmt)]


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
