"""people: a lowercased name kept by the database, which the directory search matches and sorts on

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25 11:43:02.782755

`people.search_name` is `lower(full_name)`, a generated column: stored on PostgreSQL, where the search matches it
with a plain LIKE through a trigram index and sorts on it (before, a broad search folded the case of each of its
~10,000 matches twice: ILIKE's recheck, then lower() for the sort); virtual on SQLite, which searches its own
trigram table (0018) and only sorts on it. On PostgreSQL its trigram index replaces the one on `full_name`
(0010), which nothing else reads.

Added with a plain ALTER TABLE on both databases: SQLite may add a virtual generated column in place, and a batch
copy of the table would drop the triggers that 0016, 0018 and 0019 put on it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PENDING_LIST_KB = 256  # as crm/stakeholders/models.py and 0010


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    # STORED said outright on PostgreSQL (from version 18 a generated column is virtual by default, and a virtual
    # one cannot be indexed); SQLite's default, virtual, is the only kind ALTER TABLE can add there.
    op.add_column(
        "people",
        sa.Column(
            "search_name",
            sa.String(length=160),
            sa.Computed("lower(full_name)", persisted=True if postgresql else None),
            nullable=False,
        ),
    )
    if postgresql:
        op.drop_index("ix_people_full_name_trgm", table_name="people")
        op.create_index(
            "ix_people_search_name_trgm",
            "people",
            ["search_name"],
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": PENDING_LIST_KB},
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_people_search_name_trgm", table_name="people")
        op.create_index(
            "ix_people_full_name_trgm",
            "people",
            ["full_name"],
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": PENDING_LIST_KB},
        )
    op.execute("ALTER TABLE people DROP COLUMN search_name")
