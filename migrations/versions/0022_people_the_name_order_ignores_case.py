"""people: the name order ignores case

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-25 14:16:58.332815

The people list sorted by `full_name` as stored, so on both databases every capitalised name came before
"de Souza" and "van Dyk", while a search's results (sorted on `search_name` since 0020) ignored case. Every name
order now sorts on `search_name` (`lower(full_name)`), through a new index on (search_name, id) that gives a page in
order; the index on `full_name`, which only that order read, goes, so writes keep the same number of indexes.

Plain index statements on both databases: a batch copy of the table on SQLite would drop the triggers that 0016,
0018 and 0019 put on it. SQLite can index its virtual `search_name`.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_people_full_name", table_name="people")
    op.create_index("ix_people_search_name", "people", ["search_name", "id"])


def downgrade():
    op.drop_index("ix_people_search_name", table_name="people")
    op.create_index("ix_people_full_name", "people", ["full_name"])
