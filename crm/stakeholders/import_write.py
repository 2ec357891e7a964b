"""Writing an import's plan: bulk inserts and updates, and an audit event per person."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from crm.audit.services import record, record_many
from crm.lib.bulk import insert_rows, insert_rows_returning_ids, update_rows
from crm.stakeholders.import_plan import ImportReport, _diff, _Existing, _Plan
from crm.stakeholders.import_rows import _Parsed, organization_key
from crm.stakeholders.models import ContactPoint, Organization, Person, person_tags
from crm.stakeholders.services import tag_name, tags_named


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


def _apply(
    session: Session,
    creates: list[_Parsed],
    updates: list[tuple[_Parsed, _Existing, dict]],
    organizations: dict[str, int],
    new_organizations: list[str],
) -> tuple[list[int], list[int]]:
    """Write the import with bulk statements (one audit event for the whole import, written by the caller)."""
    _create_organizations(session, new_organizations, organizations)
    tags = {
        tag.name: tag
        for tag in tags_named(
            session, [t for item, _, _ in updates for t in item.tags] + [t for item in creates for t in item.tags]
        )
    }
    session.flush()
    created = _create_people(session, creates, organizations)
    contacts, links = [], []
    for person_id, item in zip(created, creates, strict=False):
        contacts += _contact_rows(person_id, item, set())
        links += [{"person_id": person_id, "tag_id": tags[name].id} for name in {tag_name(t) for t in item.tags}]
    _update_people(session, updates, organizations)
    for item, person, _ in updates:
        contacts += _contact_rows(person.id, item, person.contacts)
        links += [
            {"person_id": person.id, "tag_id": tags[name].id} for name in {tag_name(t) for t in item.tags} - person.tags
        ]
    insert_rows(session, ContactPoint.__table__, contacts)
    insert_rows(session, person_tags, links)
    return list(created), [person.id for _, person, _ in updates]


def _create_organizations(session: Session, names: list[str], organizations: dict[str, int]) -> None:
    """Insert the organizations the rows name and the directory lacks; add their ids to `organizations`."""
    if not names:
        return
    table = Organization.__table__
    ids = session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"name": name, "kind": "other", "archived": False} for name in names],
    ).all()
    organizations.update({organization_key(name): id_ for name, id_ in zip(names, ids, strict=False)})


def _organization_id(item: _Parsed, organizations: dict[str, int], current: int | None = None) -> int | None:
    """The organization a row names, else the person's `current` one."""
    return organizations[item.organization_key] if item.organization else current


def _create_people(session: Session, creates: list[_Parsed], organizations: dict[str, int]) -> list[int]:
    """Insert the new people in one statement; their ids, in the order of `creates`."""
    if not creates:
        return []
    return insert_rows_returning_ids(
        session,
        Person.__table__,
        [
            {
                "full_name": item.name,
                "title": item.title or None,
                "notes": item.notes or None,
                "archived": False,
                "jurisdiction_id": item.jurisdiction_id,
                "organization_id": _organization_id(item, organizations),
            }
            for item in creates
        ],
    )


def _update_people(
    session: Session, updates: list[tuple[_Parsed, _Existing, dict]], organizations: dict[str, int]
) -> None:
    """Update the matched people's fields in bulk; a field the row leaves empty keeps its value."""
    if not updates:
        return
    update_rows(
        session,
        Person.__table__,
        [
            {
                "id": person.id,
                "title": item.title or person.title,
                "notes": diff.get("notes", [None, person.notes])[1],
                "jurisdiction_id": item.jurisdiction_id or person.jurisdiction_id,
                "organization_id": _organization_id(item, organizations, person.organization_id),
            }
            for item, person, diff in updates
        ],
    )


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
