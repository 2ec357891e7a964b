"""directory search and name order ignore accents on PostgreSQL

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-25 15:00:00

Names in Canada carry accents (Côté, Émile, Québec, Orléans) that people do not type. On PostgreSQL a new function,
`fold_text(text)`, is `lower(unaccent(text))` (the unaccent extension, trusted since PostgreSQL 13, so the
database owner may create it; declared IMMUTABLE, as its dictionary does not change, so that it can be indexed and
kept in a generated column). `people.search_name` becomes `fold_text(full_name)` (0020 made it `lower(full_name)`),
of type TEXT, as folding can lengthen a name:
a search for "cote" finds Côté and "Émile" sorts among the Es. Organizations are searched on `fold_text(name)` and
`fold_text(acronym)`, whose trigram indexes replace 0010's on the raw columns, and listed in the order of
`fold_text(name)`, indexed with the id.

Nothing changes on SQLite: its trigram tables (0018) already fold names and contact values; elsewhere its lower()
folds ASCII only.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

PENDING_LIST_KB = 256  # as crm/stakeholders/models.py and 0010


def _trigram(name: str, table: str, expression: str) -> None:
    op.execute(
        f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops) "
        f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
    )


def _search_name(expression: str, type_: str) -> None:
    """(Re)create people.search_name as `expression` with its two indexes (dropping the column drops them)."""
    op.execute("ALTER TABLE people DROP COLUMN IF EXISTS search_name")
    op.execute(f"ALTER TABLE people ADD COLUMN search_name {type_} GENERATED ALWAYS AS ({expression}) STORED NOT NULL")
    _trigram("ix_people_search_name_trgm", "people", "search_name")
    op.create_index("ix_people_search_name", "people", ["search_name", "id"])


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = bind.scalar(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
    )
    unaccent = f'"{schema}".unaccent'
    # The dictionary named, and the function schema-qualified, so that the result does not depend on search_path.
    op.execute(
        f"CREATE FUNCTION fold_text(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT lower({unaccent}('{unaccent}'::regdictionary, $1)) $$"
    )
    # TEXT, not the name's VARCHAR(160): unaccent lengthens some letters (ß → ss, Æ → AE).
    _search_name("fold_text(full_name)", "TEXT")
    for column in ("name", "acronym"):
        op.drop_index(f"ix_organizations_{column}_trgm", table_name="organizations")
        _trigram(f"ix_organizations_{column}_folded_trgm", "organizations", f"fold_text({column})")
    op.execute("CREATE INDEX ix_organizations_name_folded ON organizations (fold_text(name), id)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_organizations_name_folded", table_name="organizations")
    for column in ("name", "acronym"):
        op.drop_index(f"ix_organizations_{column}_folded_trgm", table_name="organizations")
        _trigram(f"ix_organizations_{column}_trgm", "organizations", column)
    _search_name("lower(full_name)", "VARCHAR(160)")
    op.execute("DROP FUNCTION fold_text(text)")  # the extension stays: something else may use it
