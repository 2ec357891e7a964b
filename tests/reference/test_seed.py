"""`flask crm seed` loads the real reference data, and running it twice changes nothing."""

from sqlalchemy import bindparam, func, select, text

from crm.cli import LOOKUP_TABLES
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea
from crm.stakeholders.models import ElectedOffice, Organization, Person


def _counts(session):
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Jurisdiction, ElectoralDistrict, PostalArea, Organization, Person, ElectedOffice)
    }


def test_seed_loads_legislatures_ridings_roster_organizations_and_fsa_table(runner, session):
    result = runner.invoke(args=["crm", "seed"])
    assert result.exit_code == 0, result.output
    counts = _counts(session)
    assert counts["jurisdictions"] == 14
    assert counts["electoral_districts"] == 124
    assert counts["postal_areas"] == 1513
    assert counts["people"] == 124 and counts["elected_offices"] == 124
    kinds = dict(session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert kinds["regulator"] >= 14 and kinds["certification_body"] >= 5 and kinds["assessment_program"] >= 9
    cpso = session.scalar(select(Organization).where(Organization.acronym == "CPSO"))
    assert cpso.name == "College of Physicians and Surgeons of Ontario"


def test_seed_twice_changes_nothing(runner, session):
    runner.invoke(args=["crm", "seed"])
    before = _counts(session)
    result = runner.invoke(args=["crm", "seed"])
    assert result.exit_code == 0
    assert _counts(session) == before
    assert "mpps: {'added': 0, 'updated': 0, 'ended': 0}" in result.output


def test_three_uncertain_seats_are_flagged_and_get_no_address(runner, session):
    runner.invoke(args=["crm", "seed"])
    uncertain = session.execute(
        select(Person.full_name, ElectedOffice)
        .join(ElectedOffice.person)
        .where(ElectedOffice.contact_uncertain.is_(True))
    ).all()
    assert sorted(name for name, _ in uncertain) == ["Fatima Shaban", "Jeff Beattie", "Susan Lahey"]
    assert all(office.mail_address is None for _, office in uncertain)


def test_mpp_offices_carry_party_email_and_phone(runner, session):
    runner.invoke(args=["crm", "seed"])
    office = session.scalar(select(ElectedOffice).join(ElectedOffice.district).where(ElectoralDistrict.number == 1))
    assert office.person.full_name == "Rob Cerjanec" and office.party == "Ontario Liberal Party"
    assert office.legislature_email == "rcerjanec.mpp.co@liberal.ola.org" and office.phone == "905-427-2060"
    assert office.current and office.jurisdiction.code == "ON"


def test_fsa_table_ranks_districts_by_share(session):
    rows = session.scalars(select(PostalArea).where(PostalArea.fsa == "K0A").order_by(PostalArea.rank)).all()
    assert rows[0].district.name == "Glengarry—Prescott—Russell" and rows[0].share == 32.8
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))


def _analysed_tables(session) -> set[str]:
    """The tables the planner has statistics of: pg_stats, or SQLite's sqlite_stat1 (made by the first ANALYZE)."""
    if session.get_bind().dialect.name == "postgresql":
        return set(session.scalars(text("SELECT tablename FROM pg_stats WHERE schemaname = current_schema()")))
    if not session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return set()
    return set(session.scalars(text("SELECT tbl FROM sqlite_stat1")))


def test_seeding_analyses_the_lookups_tables(app, session):
    """The statistics are forgotten first (rolled back after the test), so autovacuum's cannot pass the check."""
    if session.get_bind().dialect.name == "postgresql":
        forget = "DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM pg_class WHERE relname IN :names)"
        session.execute(text(forget).bindparams(bindparam("names", expanding=True)), {"names": list(LOOKUP_TABLES)})
    elif _analysed_tables(session):
        session.execute(text("DELETE FROM sqlite_stat1"))
    assert not _analysed_tables(session) & set(LOOKUP_TABLES)
    app.config["SEED_ALL"](session)
    assert _analysed_tables(session) >= set(LOOKUP_TABLES)
