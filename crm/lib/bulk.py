"""Writing many rows at once in the session's transaction: COPY on PostgreSQL, executemany on SQLite.
Why: docs/design-notes.md, "bulk.py"."""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from operator import itemgetter

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Integer,
    SmallInteger,
    String,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

CHUNK = 5000
# SQLite: rows in one multi-row INSERT. A statement of 1,000 outbox rows compiles to megabytes
# that the connection's statement cache keeps (the 100k mailing's worker peaked 11 MB higher);
# 100 keeps FTS5's per-statement flush under 1 µs a row (design-notes, "_insert_many_values").
ROWS_PER_STATEMENT = 100


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector during a bulk operation (also a decorator): it would walk every
    new object again for nothing. Figures: docs/design-notes.md, "bulk.py: gc_paused"."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _row_cells(columns: list[str], converters: list[tuple[int, object]]):
    """A function from a row (dict) to its values in `columns` order, each converted by `converters` (pairs of
    position and function) where given."""
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    if not converters:
        return values

    def cells(row: dict) -> list:
        found = list(values(row))
        for index, convert in converters:
            found[index] = convert(found[index])
        return found

    return cells


def _json_text(value):
    return None if value is None else json.dumps(value)


# COPY's binary format (`binary=True`): SQLAlchemy type → the PostgreSQL type psycopg writes it as.
# Subclasses first (BigInteger is an Integer, Enum a String); None or another type keeps text.
_BINARY_TYPES = (
    (Enum, None),
    (BigInteger, "int8"),
    (SmallInteger, "int2"),
    (Integer, "int4"),
    (Boolean, "bool"),
    (String, "text"),
)


def binary_types(table, columns: list[str]) -> list[str] | None:
    """The types to COPY `columns` of `table` in binary format with, or None if one column's type is not a plain
    integer, boolean, string or date-time (then the text format, which PostgreSQL parses for any type)."""
    types = []
    for column in columns:
        kind = table.c[column].type
        if isinstance(kind, DateTime):
            types.append("timestamptz" if kind.timezone else "timestamp")
            continue
        found = next((name for kind_of, name in _BINARY_TYPES if isinstance(kind, kind_of)), None)
        if found is None:
            return None
        types.append(found)
    return types


def _copy(
    connection,
    table,
    columns: list[str],
    rows: list[dict],
    into: str | None = None,
    ids: list[int] | None = None,
    binary: bool = False,
) -> None:
    """COPY the rows' `columns` into `table` (or into the table named `into`, whose columns are `table`'s); with
    `ids`, each row's `id` first (the row dicts are not copied to add it). `binary`: in COPY's binary format
    where `binary_types` allows, the caller vouching each value has its column's Python type (an int, not "12")."""
    from psycopg import sql  # the PostgreSQL driver, imported only where PostgreSQL is in use

    copied = ["id", *columns] if ids else columns
    types = binary_types(table, copied) if binary else None
    statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(into or table.name),
        sql.SQL(", ").join(map(sql.Identifier, copied)),
        sql.SQL(" (FORMAT BINARY)" if types else ""),
    )
    # A JSON column's value goes in as its text (COPY's text format); every other value as it is.
    cells = _row_cells(
        columns, [(i, _json_text) for i, column in enumerate(columns) if isinstance(table.c[column].type, JSON)]
    )
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        if ids:
            for id_, row in zip(ids, rows, strict=True):
                copy.write_row((id_, *cells(row)))
        else:
            for row in rows:
                copy.write_row(cells(row))


def insert_rows(session: Session, table, rows: list[dict], binary: bool = False) -> None:
    """INSERT the rows into `table` (`binary`: see `_copy`)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        _insert_many_values(connection, table, rows)
        return
    _copy(connection, table, list(rows[0]), rows, binary=binary)


def _insert_many_values(connection, table, rows: list[dict], returning_ids: bool = False) -> list[int]:
    """SQLite: INSERTs of many rows each, not one statement per row (5 times faster with FTS5 triggers);
    `returning_ids` gives the new ids in order. Design: docs/design-notes.md, "bulk.py: _insert_many_values"."""
    columns = list(rows[0])
    cells = _row_cells(
        columns,
        [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := table.c[column].type.bind_processor(connection.dialect))
        ],
    )
    per_statement = max(1, min(ROWS_PER_STATEMENT, 32_000 // len(columns)))  # SQLite allows 32,766 parameters
    head = 'INSERT INTO "{}" ({}) VALUES '.format(table.name, ", ".join(f'"{column}"' for column in columns))
    one_row = "(" + ", ".join("?" * len(columns)) + ")"
    ids: list[int] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        parameters = tuple(value for row in chunk for value in cells(row))
        last = connection.exec_driver_sql(head + ", ".join([one_row] * len(chunk)), parameters).lastrowid
        if returning_ids:
            first = last - len(chunk) + 1
            if connection.execute(
                select(func.count()).select_from(table).where(table.c.id.between(first, last))
            ).scalar() != len(chunk):
                raise RuntimeError(f"{table.name}: new ids are not consecutive; cannot tell which row got which")
            ids += range(first, last + 1)
    return ids


def insert_rows_returning_ids(session: Session, table, rows: list[dict], binary: bool = False) -> list[int]:
    """INSERT the rows into `table` (whose primary key is an `id` from a sequence); their new ids, in order.
    On PostgreSQL the ids are drawn from the sequence first, then the rows are copied in with them."""
    if not rows:
        return []
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        # (SQLAlchemy's RETURNING with the ids in order is one statement per row on SQLite.)
        return _insert_many_values(connection, table, rows, returning_ids=True)
    ids = list(
        connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)},
        ).scalars()
    )
    _copy(connection, table, list(rows[0]), rows, ids=ids, binary=binary)
    return ids


def update_rows(session: Session, table, rows: list[dict]) -> None:
    """UPDATE `table` by `id`: each row sets its other keys on the row with its id. On PostgreSQL the rows
    are copied into a temporary table of the same column types, then applied with one UPDATE … FROM."""
    if not rows:
        return
    connection = session.connection()
    columns = [column for column in rows[0] if column != "id"]
    if connection.dialect.name != "postgresql":
        statement = table.update().where(table.c.id == _bind("id")).values({c: _bind(c) for c in columns})
        for start in range(0, len(rows), CHUNK):
            connection.execute(
                statement, [{f"b_{k}": v for k, v in row.items()} for row in rows[start : start + CHUNK]]
            )
        return
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE bulk_update ON COMMIT DROP AS "
            f"{_select_columns(table, ['id', *columns])} WITH NO DATA"
        )
    )
    _copy(connection, table, ["id", *columns], rows, into="bulk_update")
    assignments = ", ".join(f'"{c}" = bulk_update."{c}"' for c in columns)
    connection.execute(
        text(f'UPDATE "{table.name}" SET {assignments} FROM bulk_update WHERE "{table.name}".id = bulk_update.id')
    )
    connection.execute(text("DROP TABLE bulk_update"))


def _bind(name: str):
    return bindparam(f"b_{name}")


def _select_columns(table, columns: list[str]) -> str:
    return str(select(*(table.c[c] for c in columns)).compile(compile_kwargs={"literal_binds": True}))
