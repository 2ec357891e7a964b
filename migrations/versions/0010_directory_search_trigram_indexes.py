"""directory search: trigram indexes on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 00:00:00

The directory search matches `ILIKE '%text%'` on people's names, organizations' names and acronyms and contact
values; a pg_trgm GIN index serves that on PostgreSQL (with a short pending list: see
crm/stakeholders/models.py). SQLite has no such index (nothing happens there).
pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it. Downgrade drops the
indexes and leaves the extension, which something else may use.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = [
    ("people", "full_name"),
    ("organizations", "name"),
    ("organizations", "acronym"),
    ("contact_points", "value"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in TRIGRAM_INDEXES:
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 256},
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TRIGRAM_INDEXES:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
