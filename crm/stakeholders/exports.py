"""Export of filtered lists of people and organizations, in the import's columns and more."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.stakeholders.import_rows import IMPORT_COLUMNS
from crm.stakeholders.models import ASKS, current_stances

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
