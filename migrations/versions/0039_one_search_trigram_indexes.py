"""the one search: trigram indexes for interactions and members on PostgreSQL (issue 24)

The staff bar's search (crm/search) looks for text anywhere in an interaction's title and summary, folded
(`fold_text`, 0023: no case, no accents), and in a member's name (folded) and email (ILIKE). With 200,000
interactions and 50,000 members a scan of each is too slow for a search box, so PostgreSQL gets a pg_trgm GIN
index of each expression (as 0010 and 0023 did for the directory). People and organizations already have theirs.

Nothing on SQLite, where the app registers fold_text() as a Python function per connection and the search scans
(SQLite is the development and test database).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05 18:20:00

"""

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

PENDING_LIST_KB = 256  # as crm/extensions.py: search_trigram_index
INDEXES = [
    ("ix_interactions_title_folded_trgm", "interactions", "fold_text(title)"),
    ("ix_interactions_summary_folded_trgm", "interactions", "fold_text(summary)"),
    ("ix_users_name_folded_trgm", "users", "fold_text(name)"),
    ("ix_users_email_trgm", "users", "email"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # 0010 made it; harmless if it is there
    for name, table, expression in INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops) "
            f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _expression in reversed(INDEXES):
        op.drop_index(name, table_name=table)
