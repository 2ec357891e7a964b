"""the postal-code lookup's rows kept joined by triggers, PostgreSQL only (issue 23)

`postal_lookup` holds, for every postal area, the row the lookup's five-table join gives (riding, province, current
office and person): the lookup reads it with one index scan, about 40% less server time than the join. It is not a
cache: statement triggers on the five tables rewrite the rows of every riding a statement touches, in the same
transaction, so it never differs from the join. SQLite keeps reading the join. Why: docs/design-notes.md,
"migrations 0044: postal_lookup".

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-06 22:35:00

"""

from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

COLUMNS = """postal_area_id, fsa, rank, share, district_id, number, name, ocd_id, code, member_title, person_id,
    full_name, office_id, party, legislature_email, constituency_email, phone, contact_uncertain"""

# The lookup's join (crm/api/views.py, _LOOKUP), for the ridings in `districts`
JOIN = """SELECT postal_areas.id, postal_areas.fsa, postal_areas.rank, postal_areas.share, electoral_districts.id,
        electoral_districts.number, electoral_districts.name, electoral_districts.ocd_id, jurisdictions.code,
        jurisdictions.member_title, people.id, people.full_name, elected_offices.id, elected_offices.party,
        elected_offices.legislature_email, elected_offices.constituency_email, elected_offices.phone,
        elected_offices.contact_uncertain
    FROM postal_areas
    JOIN electoral_districts ON electoral_districts.id = postal_areas.district_id
    JOIN jurisdictions ON jurisdictions.id = electoral_districts.jurisdiction_id
    LEFT OUTER JOIN elected_offices
        ON elected_offices.district_id = electoral_districts.id AND elected_offices.current IS true
    LEFT OUTER JOIN people ON people.id = elected_offices.person_id"""

# Each source table: the column of its changed rows the triggers read, and the ridings those keys reach.
SOURCES = {
    "postal_areas": ("district_id", "SELECT unnest(keys)"),
    "electoral_districts": ("id", "SELECT unnest(keys)"),
    "elected_offices": ("district_id", "SELECT unnest(keys)"),
    "jurisdictions": ("id", "SELECT id FROM electoral_districts WHERE jurisdiction_id = ANY(keys)"),
    "people": ("id", "SELECT district_id FROM elected_offices WHERE person_id = ANY(keys)"),
}
EVENTS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE TABLE postal_lookup (
            postal_area_id integer NOT NULL, fsa text NOT NULL, rank integer NOT NULL, share numeric(5, 2) NOT NULL,
            district_id integer NOT NULL, number integer NOT NULL, name text NOT NULL, ocd_id text NOT NULL,
            code text NOT NULL, member_title text NOT NULL, person_id integer, full_name text, office_id integer,
            party text, legislature_email text, constituency_email text, phone text, contact_uncertain boolean)"""
    )
    op.execute("CREATE INDEX ix_postal_lookup_fsa ON postal_lookup (fsa, rank)")
    op.execute("CREATE INDEX ix_postal_lookup_district_id ON postal_lookup (district_id)")
    op.execute(
        f"""CREATE FUNCTION crm_postal_lookup_refresh(districts integer[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF districts IS NULL OR cardinality(districts) = 0 THEN
                RETURN;
            END IF;
            DELETE FROM postal_lookup WHERE district_id = ANY(districts);
            INSERT INTO postal_lookup ({COLUMNS}) {JOIN} WHERE postal_areas.district_id = ANY(districts);
        END $$"""
    )
    op.execute(
        f"""CREATE FUNCTION crm_postal_lookup_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM postal_lookup;
            INSERT INTO postal_lookup ({COLUMNS}) {JOIN};
            RETURN NULL;
        END $$"""
    )
    for table, (key, districts) in SOURCES.items():
        _add_triggers(table, key, districts)
    op.execute(f"INSERT INTO postal_lookup ({COLUMNS}) {JOIN}")


def _add_triggers(table: str, key: str, districts: str) -> None:
    """After each statement on `table`: refresh the ridings its changed rows reach; after TRUNCATE, everything."""
    op.execute(
        f"""CREATE FUNCTION crm_postal_lookup_from_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            keys integer[];
        BEGIN
            IF TG_OP = 'INSERT' THEN
                keys := ARRAY(SELECT {key} FROM new_rows WHERE {key} IS NOT NULL);
            ELSIF TG_OP = 'DELETE' THEN
                keys := ARRAY(SELECT {key} FROM old_rows WHERE {key} IS NOT NULL);
            ELSE
                keys := ARRAY(SELECT {key} FROM new_rows WHERE {key} IS NOT NULL
                              UNION SELECT {key} FROM old_rows WHERE {key} IS NOT NULL);
            END IF;
            IF cardinality(keys) > 0 THEN
                PERFORM crm_postal_lookup_refresh(ARRAY({districts}));
            END IF;
            RETURN NULL;
        END $$"""
    )
    for event, referencing in EVENTS.items():
        op.execute(
            f"""CREATE TRIGGER postal_lookup_after_{event} AFTER {event.upper()} ON {table} {referencing}
            FOR EACH STATEMENT EXECUTE FUNCTION crm_postal_lookup_from_{table}()"""
        )
    op.execute(
        f"""CREATE TRIGGER postal_lookup_after_truncate AFTER TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION crm_postal_lookup_rebuild()"""
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SOURCES:
        for event in (*EVENTS, "truncate"):
            op.execute(f"DROP TRIGGER postal_lookup_after_{event} ON {table}")
        op.execute(f"DROP FUNCTION crm_postal_lookup_from_{table}()")
    op.execute("DROP FUNCTION crm_postal_lookup_rebuild()")
    op.execute("DROP FUNCTION crm_postal_lookup_refresh(integer[])")
    op.execute("DROP TABLE postal_lookup")
