"""directory revision: a one-row counter that triggers move on every write to what an import reads (people,
their contacts and tags, tags, organizations, jurisdictions), so that applying a previewed import can tell
whether the directory is still as the preview saw it, and then write exactly the previewed plan

The counter is an ordinary row, so it is transactional: a change still uncommitted when the preview read the
directory moves it when it commits, and the apply, which locks the row first (waiting for writers in progress
and keeping new ones out until it commits), sees that. PostgreSQL counts once per transaction, from BEFORE statement
triggers (so the row is locked before any row of the transaction's first write, and writers queue on it in one
order); SQLite, which has no statement triggers, with row triggers (SQLite updates
the row in place, so a row trigger costs about a microsecond). A later SQLite migration that rebuilds one
of these tables in batch mode drops its triggers with the old table and must create them again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

WATCHED = ("people", "contact_points", "person_tags", "tags", "organizations", "jurisdictions")
EVENTS = ("insert", "update", "delete")
BUMP = "UPDATE directory_revision SET value = value + 1 WHERE id = 1"


def upgrade():
    op.create_table(
        "directory_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_directory_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_revision")),
    )
    op.execute("INSERT INTO directory_revision (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction (a transaction-local setting remembers it): a row updated again and again in one
        # transaction leaves a version per update, which each next update walks, so a bulk load of 100,000 rows
        # by single-row INSERTs took minutes.
        op.execute(f"""
            CREATE FUNCTION directory_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF current_setting('crm.directory_revision_bumped', true) IS DISTINCT FROM 'on' THEN
                {BUMP};
                PERFORM set_config('crm.directory_revision_bumped', 'on', true);
              END IF;
              RETURN NULL;
            END $$""")
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_revision BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION directory_revision_bump()"
            )
        return
    for table in WATCHED:
        for event in EVENTS:
            op.execute(f"CREATE TRIGGER {table}_revision_{event} AFTER {event.upper()} ON {table} BEGIN {BUMP}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        op.execute("DROP FUNCTION IF EXISTS directory_revision_bump()")
    else:
        for table in WATCHED:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
    op.drop_table("directory_revision")
