"""Roster refresh: compare a legislature roster file with the stored elected offices, then apply it.

The file has the format of `crm/data/ontario_mpps_2026.csv`: one row per district, `ed_number` and
`mpp_name` (blank for a vacant seat), `party`, `email`, `constituency_phone`, and optionally
`ola_profile_url`, `cabinet_roles`, `parliamentary_roles`. The shipped seed uses the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.lib.schedule import DailyAt, scheduled_job
from crm.reference import shipped
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ContactPoint, ElectedOffice, Organization, Person
from crm.stakeholders.revision import directory_revision, preview_still_current

SHIPPED_ROSTER = "ontario_mpps_2026.csv"
SHIPPED_ROSTER_AS_OF = datetime(2026, 9, 1)  # the sources' date (crm/data/README.md)
STALE_AFTER_DAYS = 90
REQUIRED_COLUMNS = ("ed_number", "mpp_name", "party", "email", "constituency_phone")
# Placeholders some roster sources put where no address is known; stored as no address.
NO_VALUE = {"none provided", "none", "n/a", "na", "-", "—", "unknown"}
OFFICE_FIELDS = {
    "party": "party",
    "legislature_email": "email",
    "phone": "phone",
    "profile_url": "profile",
    "roles": "roles",
}


@dataclass
class RosterChange:
    kind: str  # new, changed, left, vacant
    district_number: int
    district_name: str
    name: str
    detail: str = ""


@dataclass
class RosterReport:
    changes: list[RosterChange] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)
    unchanged: int = 0
    still_vacant: list[RosterChange] = field(default_factory=list)  # (counted as unchanged)
    applied: bool = False
    revision: int | None = None  # the directory's, when the preview read it (see `previewed`)

    def of(self, kind: str) -> list[RosterChange]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.of(kind)) for kind in ("new", "changed", "left", "vacant")} | {
            "unchanged": self.unchanged
        }


def read_shipped_roster() -> list[dict[str, str]]:
    return shipped.rows(SHIPPED_ROSTER)


def _office_values(row: dict[str, str]) -> dict:
    roles = " | ".join(part for part in (row.get("cabinet_roles", ""), row.get("parliamentary_roles", "")) if part)
    return dict(
        party=row["party"] or None,
        legislature_email=row["email"] or None,
        phone=row["constituency_phone"] or None,
        profile_url=row.get("ola_profile_url") or None,
        roles=roles or None,
        contact_uncertain=row.get("contact_uncertain", not row["email"]),
    )


def _validate(rows, districts: dict[int, ElectoralDistrict], report: RosterReport) -> dict[int, dict | None]:
    """District id → the row's values (None for a vacant seat); errors go on the report."""
    if not rows:
        report.errors.append((None, "The roster has no rows."))
        return {}
    missing = [column for column in REQUIRED_COLUMNS if column not in rows[0]]
    if missing:
        report.errors.append(
            (
                None,
                f"Missing column(s): {', '.join(missing)}. The roster needs the columns "
                f"{', '.join(REQUIRED_COLUMNS)} (see crm/data/ontario_mpps_2026.csv).",
            )
        )
        return {}
    wanted: dict[int, dict | None] = {}
    for number, row in enumerate(rows, start=2):
        # An empty email means the sources disagree on who holds the seat (contact uncertain); a placeholder
        # such as "none provided" means the member has no published address: stored as none, not uncertain.
        uncertain = not row["email"]
        row = {key: ("" if value.lower() in NO_VALUE else value) for key, value in row.items()}
        row["contact_uncertain"] = uncertain
        try:
            district = districts[int(float(row["ed_number"]))]
        except (ValueError, KeyError):
            report.errors.append((number, f"Unknown district number {row['ed_number']!r}: use 1 to {len(districts)}."))
            continue
        if district.id in wanted:
            report.errors.append((number, f"District {district.number} ({district.name}) appears twice; keep one row."))
            continue
        if row["email"]:
            try:
                validate_email(row["email"], check_deliverability=False)
            except EmailNotValidError:
                report.errors.append((number, f"{row['email']!r} is not an email address; correct or empty it."))
                continue
            row["email"] = row["email"].lower()
        wanted[district.id] = dict(row, mpp_name=" ".join(row["mpp_name"].split())) if row["mpp_name"] else None
    absent = sorted(d.number for d in districts.values() if d.id not in wanted)
    if absent and not report.errors:
        report.errors.append(
            (
                None,
                f"District(s) {', '.join(map(str, absent))} have no row. Every district needs "
                "one; leave mpp_name empty for a vacant seat.",
            )
        )
    return wanted


def refresh_roster(
    session: Session, rows: list[dict[str, str]], *, apply: bool, code: str = "ON", today: date | None = None
) -> RosterReport:
    """Report what the roster changes (new members, changed details, members who left, vacant seats); apply
    it if asked. Nothing changes when the file has an error; a member who left has their office closed."""
    today = today or date.today()
    report = RosterReport(revision=None if apply else directory_revision(session))
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        report.errors.append((None, f"Unknown jurisdiction {code!r}."))
        return report
    districts = {
        d.number: d
        for d in session.scalars(select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == jurisdiction.id))
    }
    wanted = _validate(rows, districts, report)
    if report.errors:
        return report
    refresh = _Refresh(session, jurisdiction, report, apply, today)
    for district in sorted(districts.values(), key=lambda d: d.number):
        refresh.district(district, wanted[district.id])
    if apply:
        session.flush()
        report.applied = True
        if not session.info.get("audit_disabled"):
            record(session, "roster_refresh", "elected_offices", None, {"jurisdiction": code, **report.counts})
    return report


class _Refresh:
    """One refresh of a jurisdiction's roster: the offices and people it reads, and each district's outcome."""

    def __init__(self, session: Session, jurisdiction, report: RosterReport, apply: bool, today: date) -> None:
        self.session, self.jurisdiction, self.report, self.apply, self.today = (
            session,
            jurisdiction,
            report,
            apply,
            today,
        )
        self.current = {
            o.district_id: o
            for o in session.scalars(
                select(ElectedOffice)
                .where(ElectedOffice.jurisdiction_id == jurisdiction.id, ElectedOffice.current.is_(True))
                .options(joinedload(ElectedOffice.person).selectinload(Person.contacts))
            )
        }
        self.former = {
            p.full_name: p
            for p in session.scalars(
                select(Person)
                .join(ElectedOffice)
                .where(ElectedOffice.jurisdiction_id == jurisdiction.id)
                .options(selectinload(Person.contacts))
            )
        }
        self.legislature = session.scalar(
            select(Organization).where(Organization.source_key == f"legislature:{jurisdiction.code}")
        )

    def district(self, district: ElectoralDistrict, row: dict | None) -> None:
        """Compare one district's row (None: a vacant seat) with its current office; apply if asked."""
        office = self.current.get(district.id)
        was_held = office is not None
        if office is not None and (row is None or office.person.full_name != row["mpp_name"]):
            self.leave(district, office)
            office = None
        if row is None:
            self.vacant(district, was_held)
        elif office is None:
            self.arrive(district, row["mpp_name"], _office_values(row))
        else:
            self.compare(district, office, _office_values(row))

    def leave(self, district: ElectoralDistrict, office: ElectedOffice) -> None:
        """The member left: their office closes today; a title a refresh wrote becomes "Former …"."""
        self.report.changes.append(
            RosterChange("left", district.number, district.name, office.person.full_name, "office closed")
        )
        if self.apply:
            office.current = False
            office.to_date = self.today
            if office.person.title == _member_title(self.jurisdiction, district):  # as a refresh wrote it
                office.person.title = f"Former {office.person.title}"

    def vacant(self, district: ElectoralDistrict, was_held: bool) -> None:
        """The seat falls vacant now; one that already was is unchanged."""
        if was_held:
            self.report.changes.append(RosterChange("vacant", district.number, district.name, "", "seat vacant"))
        else:
            self.report.unchanged += 1
            self.report.still_vacant.append(RosterChange("vacant", district.number, district.name, ""))

    def arrive(self, district: ElectoralDistrict, name: str, values: dict) -> None:
        """A new member holds the seat: an office opens (for a former member, on their own record)."""
        self.report.changes.append(RosterChange("new", district.number, district.name, name, values["party"] or ""))
        if self.apply:
            _open_office(self.session, self.jurisdiction, district, self.legislature, self.former, name, values)

    def compare(self, district: ElectoralDistrict, office: ElectedOffice, values: dict) -> None:
        """The same member: their changed details (party, contacts, roles), if any."""
        diff = {key: (getattr(office, key), value) for key, value in values.items() if getattr(office, key) != value}
        diff.pop("contact_uncertain", None)
        if not diff:
            self.report.unchanged += 1
            return
        detail = "; ".join(
            f"{OFFICE_FIELDS[key]}: {before or '—'} → {after or '—'}" for key, (before, after) in diff.items()
        )
        self.report.changes.append(
            RosterChange("changed", district.number, district.name, office.person.full_name, detail)
        )
        if self.apply:
            for key, value in values.items():
                setattr(office, key, value)
            _sync_contacts(office.person, values)


# Bumped when what a preview saves changes: a preview saved by other code is shown again.
PREVIEW_FORMAT = 1


def previewed(report: RosterReport) -> dict:
    """What applying a preview needs besides the file: the directory's revision when the preview read it."""
    return {"format": PREVIEW_FORMAT, "revision": report.revision}


def apply_previewed(
    session: Session, saved: dict | None, rows: list[dict[str, str]], *, code: str = "ON"
) -> RosterReport | None:
    """Apply the roster `rows` as their preview showed, if the directory's revision has not moved since
    (checked locked, so the same file makes the same changes); None, to preview again, if it has."""
    if not preview_still_current(session, saved, PREVIEW_FORMAT):
        return None
    return refresh_roster(session, rows, apply=True, code=code)


def _sync_contacts(person: Person, values: dict) -> None:
    for kind, label, value in (
        ("email", "legislature", values["legislature_email"]),
        ("phone", "constituency", values["phone"]),
    ):
        point = next((c for c in person.contacts if c.kind == kind and c.label == label), None)
        if value and point is None:
            person.contacts.append(ContactPoint(kind=kind, label=label, value=value))
        elif value and point.value != value:
            point.value = value
        elif not value and point is not None:  # the roster no longer publishes it
            person.contacts.remove(point)


def _member_title(jurisdiction, district) -> str:
    """The title a refresh gives a member: "MPP, Scarborough—Guildwood"; "Former MPP, …" once they leave, unless
    someone has written another title by hand."""
    return f"{jurisdiction.member_title}, {district.name}"


def _open_office(session, jurisdiction, district, legislature, former, name, values) -> None:
    person = former.get(name)
    title = _member_title(jurisdiction, district)
    if person is None:
        person = Person(full_name=name, organization=legislature, jurisdiction=jurisdiction)
        session.add(person)
        former[name] = person
    person.title = title
    person.archived = False
    _sync_contacts(person, values)
    session.add(
        ElectedOffice(
            person=person, jurisdiction=jurisdiction, district=district, current=True, from_date=None, **values
        )
    )


def roster_as_of(session: Session) -> datetime:
    """When the MPP roster was last refreshed (an applied Ontario `roster_refresh`), else the shipped file's date."""
    events = session.execute(
        select(AuditEvent.created_at, AuditEvent.changes)
        .where(AuditEvent.action == "roster_refresh", AuditEvent.entity_type == "elected_offices")
        .order_by(AuditEvent.created_at.desc())
        .limit(20)
    ).all()
    refreshed = [at for at, changes in events if (changes or {}).get("jurisdiction", "ON") == "ON"]
    return max([SHIPPED_ROSTER_AS_OF, *refreshed[:1]])


@scheduled_job("roster-staleness", DailyAt(6), f"Warn when the MPP roster is older than {STALE_AFTER_DAYS} days")
def roster_staleness_job(session: Session, now: datetime) -> dict:
    """A warning (shown to admins) when the roster has not been refreshed for STALE_AFTER_DAYS."""
    days = (now - roster_as_of(session)).days
    if days > STALE_AFTER_DAYS:
        return {
            "days": days,
            "warning": f"The MPP roster is {days} days old: refresh it (Directory → Refresh the MPP roster).",
        }
    return {"days": days}
