"""directory revision: also moved by writes to elected offices and electoral districts, which a roster refresh
reads, so that applying a previewed roster can tell whether the offices are still as the preview saw them

The same triggers as 0019 (PostgreSQL: BEFORE statement, once per transaction, through
`directory_revision_bump()`; SQLite: row triggers), on two more tables.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-25 12:30:00

"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

WATCHED = ("elected_offices", "electoral_districts")
EVENTS = ("insert", "update", "delete")
BUMP = "UPDATE directory_revision SET value = value + 1 WHERE id = 1"


def upgrade():
    for table in WATCHED:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_revision BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION directory_revision_bump()"
            )
            continue
        for event in EVENTS:
            op.execute(f"CREATE TRIGGER {table}_revision_{event} AFTER {event.upper()} ON {table} BEGIN {BUMP}; END")


def downgrade():
    for table in WATCHED:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
            continue
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
