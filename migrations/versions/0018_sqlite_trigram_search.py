"""directory search on SQLite: FTS5 trigram tables over people's names and contact values, kept by triggers
(SQLite's counterpart of 0010's PostgreSQL trigram indexes), so a search of three or more characters is an
index lookup instead of a scan of every person and contact

The tables use the people / contact_points rows as their content (external content: only the index is
stored). A later SQLite migration that rebuilds `people` or `contact_points` in batch mode drops their triggers
with the old table and must create them again (as it must 0016's).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (full-text table, table whose rows it indexes, the indexed column)
SEARCHED = [("people_search", "people", "full_name"), ("contact_points_search", "contact_points", "value")]


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    try:
        op.execute("CREATE VIRTUAL TABLE temp.trigram_check USING fts5(x, tokenize='trigram')")
        op.execute("DROP TABLE temp.trigram_check")
    except sa.exc.OperationalError as error:
        version = op.get_bind().exec_driver_sql("SELECT sqlite_version()").scalar()
        raise RuntimeError(
            "The directory search needs SQLite 3.34 or later with FTS5 (its trigram tokenizer); "
            f"this Python's SQLite is {version}."
        ) from error
    for name, table, column in SEARCHED:
        op.execute(
            f"CREATE VIRTUAL TABLE {name} USING fts5({column}, content='{table}', content_rowid='id', "
            "tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")
        add = f"INSERT INTO {name}(rowid, {column}) VALUES (new.id, new.{column});"
        remove = f"INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
        op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {remove} END")
        op.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON {table} BEGIN {remove} {add} END")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, _table, _column in SEARCHED:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {name}_{event}")
        op.execute(f"DROP TABLE {name}")
