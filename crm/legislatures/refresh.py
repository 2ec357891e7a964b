"""Refresh a legislature's members from Represent: page through its representative set, report the difference
(new, changed, left, vacant) as the Ontario roster refresh does, and apply it if asked, all in the caller's one
transaction. Nothing changes when Represent fails or lists no one; a district Represent lists twice is left as it
is and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.audit.services import record
from crm.legislatures import client
from crm.legislatures.directory import (
    COMPARED,
    Representative,
    add_district,
    close_office,
    districts_of,
    office_values,
    open_office,
    parse_representative,
    represent_id,
    update_office,
)
from crm.legislatures.sets import legislature, set_slug
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ElectedOffice, Person
from crm.stakeholders.roster import RosterChange, RosterReport


@dataclass
class RepresentReport(RosterReport):
    """A roster report, plus the districts left alone because Represent lists two members for them."""

    unclear: list[RosterChange] = field(default_factory=list)
    legislature: str = ""
    items: list[dict] = field(default_factory=list)  # Represent's answer, so a confirmed preview applies the same

    @property
    def counts(self) -> dict[str, int]:
        return super().counts | {"unclear": len(self.unclear)}


def refresh_representatives(
    session: Session, code: str, *, apply: bool, items: list[dict] | None = None, today: date | None = None
) -> RepresentReport:
    """Compare the legislature's members at Represent (or `items`, a preview's answer) with the directory; apply
    the difference if asked. Raises UnknownLegislature; Represent's failures land on the report's errors."""
    jurisdiction = legislature(session, code)
    report = RepresentReport(legislature=jurisdiction.legislature_name)
    if items is None:
        try:
            items = client.pages(f"/representatives/{set_slug(jurisdiction)}/")
        except client.RepresentUnavailable as problem:
            report.errors.append((None, f"Represent could not list the members: {problem}. Nothing was changed."))
            return report
    wanted, unreadable = _by_district(items)
    report.items = items
    if not wanted:
        report.errors.append(
            (None, f"Represent lists no members of the {jurisdiction.legislature_name}; nothing was changed.")
        )
        return report
    if unreadable:
        report.errors.append((None, f"{unreadable} member(s) at Represent had no name or district; none changed."))
        return report
    _Refresh(session, jurisdiction, report, apply, today or date.today()).run(wanted)
    if apply:
        session.flush()
        report.applied = True
        record(session, "represent_refresh", "elected_offices", None, {"jurisdiction": code, **report.counts})
    return report


def _by_district(items: list[dict]) -> tuple[dict[str, list[Representative]], int]:
    wanted: dict[str, list[Representative]] = {}
    unreadable = 0
    for item in items:
        rep = parse_representative(item)
        if rep is None:
            unreadable += 1
        else:
            wanted.setdefault(rep.key, []).append(rep)
    return wanted, unreadable


class _Refresh:
    """One refresh: the legislature's districts and current offices, and each district's outcome."""

    def __init__(self, session: Session, jurisdiction: Jurisdiction, report: RepresentReport, apply: bool, today):
        self.session, self.jurisdiction, self.report, self.apply, self.today = (
            session,
            jurisdiction,
            report,
            apply,
            today,
        )
        self.now = datetime.utcnow()
        self.districts = districts_of(session, jurisdiction)
        self.current = {
            o.district_id: o
            for o in session.scalars(
                select(ElectedOffice)
                .where(ElectedOffice.jurisdiction_id == jurisdiction.id, ElectedOffice.current.is_(True))
                .options(
                    joinedload(ElectedOffice.person).selectinload(Person.contacts), joinedload(ElectedOffice.district)
                )
            )
        }

    def renames(self, wanted: dict[str, list[Representative]]) -> None:
        """A known boundary Represent lists under a new name is the same riding, renamed (before comparing)."""
        by_id = {district.ocd_id: (key, district) for key, district in self.districts.items()}
        for key, reps in wanted.items():
            old_key, district = by_id.get(represent_id(self.jurisdiction, reps[0]), (None, None))
            if key in self.districts or district is None or old_key in wanted:
                continue
            self.report.changes.append(
                RosterChange(
                    "changed", district.number, reps[0].district_name, "", f"riding renamed from {district.name}"
                )
            )
            self.districts[key] = self.districts.pop(old_key)
            if self.apply:
                district.name = reps[0].district_name

    def run(self, wanted: dict[str, list[Representative]]) -> None:
        self.renames(wanted)
        for key, reps in sorted(wanted.items(), key=lambda item: item[1][0].district_name):
            district = self.districts.get(key)
            if len(reps) > 1:
                names = " and ".join(rep.name for rep in reps)
                self.report.unclear.append(
                    RosterChange(
                        "unclear",
                        district.number if district else 0,
                        reps[0].district_name,
                        names,
                        "two members listed (a by-election?): left as it is",
                    )
                )
            elif district is None:
                self.arrive(None, reps[0])
            else:
                self.district(district, reps[0])
        for key, district in sorted(self.districts.items(), key=lambda item: item[1].number):
            if key not in wanted and district.id in self.current:
                self.leave(district, self.current[district.id])
                self.report.changes.append(RosterChange("vacant", district.number, district.name, "", "seat vacant"))

    def district(self, district: ElectoralDistrict, rep: Representative) -> None:
        office = self.current.get(district.id)
        if office is not None and office.person.full_name != rep.name:
            self.leave(district, office)
            office = None
        if office is None:
            self.arrive(district, rep)
        else:
            self.compare(district, office, rep)

    def leave(self, district: ElectoralDistrict, office: ElectedOffice) -> None:
        self.report.changes.append(
            RosterChange("left", district.number, district.name, office.person.full_name, "office closed")
        )
        if self.apply:
            close_office(office, self.today)

    def arrive(self, district: ElectoralDistrict | None, rep: Representative) -> None:
        self.report.changes.append(
            RosterChange("new", district.number if district else 0, rep.district_name, rep.name, rep.party or "")
        )
        if self.apply:
            if district is None:
                district = add_district(self.session, self.jurisdiction, rep)
                self.districts[rep.key] = district
            open_office(self.session, self.jurisdiction, district, office_values(rep, self.now), rep.name)

    def compare(self, district: ElectoralDistrict, office: ElectedOffice, rep: Representative) -> None:
        values = office_values(rep, self.now)
        diff = {key: (getattr(office, key), values[key]) for key in COMPARED if getattr(office, key) != values[key]}
        if diff:
            detail = "; ".join(
                f"{COMPARED[key]}: {before or '—'} → {after or '—'}" for key, (before, after) in diff.items()
            )
            self.report.changes.append(
                RosterChange("changed", district.number, district.name, office.person.full_name, detail)
            )
        else:
            self.report.unchanged += 1
        if self.apply:
            update_office(office, values)  # also marks the fetch time and source of an unchanged member
