"""The shipped stakeholders: regulators, certification bodies, PRA programs, legislatures and Ontario's MPPs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.reference import shipped
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import Organization
from crm.stakeholders.roster import read_shipped_roster, refresh_roster

CATEGORY_KIND = {
    "certification": "certification_body",
    "regulator-federation": "regulator",
    "regulator": "regulator",
    "pra-program": "assessment_program",
    "assessment-other": "assessment_program",
    "support-other": "ally",
}


def _jurisdictions(session: Session) -> dict[str, Jurisdiction]:
    return {j.code: j for j in session.scalars(select(Jurisdiction))}


def seed_organizations(session: Session) -> int:
    """Regulators, certification bodies, PRA programs and the legislatures; returns rows added."""
    jurisdictions = _jurisdictions(session)
    existing = {
        o.source_key: o for o in session.scalars(select(Organization).where(Organization.source_key.is_not(None)))
    }
    wanted = []
    for row in shipped.rows("itp_regulators_certification_pra.csv"):
        wanted.append(
            dict(
                source_key=f"{row['category']}:{row['jurisdiction']}:{row['name']}",
                name=row["name"],
                acronym=row["acronym"] or None,
                kind=CATEGORY_KIND.get(row["category"], "other"),
                jurisdiction_id=jurisdictions[row["jurisdiction"]].id,
                website=row["website"] or None,
                notes=row["role_or_notes"] or None,
            )
        )
    for code, jurisdiction in jurisdictions.items():
        wanted.append(
            dict(
                source_key=f"legislature:{code}",
                name=jurisdiction.legislature_name,
                acronym=None,
                kind="legislature",
                jurisdiction_id=jurisdiction.id,
                website=None,
                notes=None,
            )
        )
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
    """Load the shipped Ontario MPP roster: one current office per district; a changed name ends the old office."""
    report = refresh_roster(session, read_shipped_roster(), apply=True, today=today)
    if report.errors:
        raise RuntimeError(f"the shipped roster is invalid: {report.errors}")
    counts = report.counts
    return {"added": counts["new"], "updated": counts["changed"], "ended": counts["left"]}
