"""Writing many rows at once: an import's tens of thousands of people, a call to action's hundred thousand
emails. PostgreSQL gets them through COPY, many times faster than INSERTs or UPDATEs with bound parameters
(psycopg parses a statement of thousands of parameters each time); SQLite keeps executemany, which is fast there.

Every function runs in the session's transaction and never commits. Rows are dicts of one shape (the same
keys); omitted columns take their server defaults, not Python-side defaults.
"""
from __future__ import annotations

import json

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

CHUNK = 5000


def _copy(connection, table_name: str, columns: list[str], rows: list[dict]) -> None:
    from psycopg import sql  # the PostgreSQL driver, imported only where PostgreSQL is in use

    def value(item):  # a JSON column's value goes in as its text (COPY's text format)
        return json.dumps(item) if isinstance(item, (dict, list)) else item

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table_name), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([value(row[column]) for column in columns])


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """INSERT the rows into `table`."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            connection.execute(table.insert(), rows[start:start + CHUNK])
        return
    _copy(connection, table.name, list(rows[0]), rows)


def insert_rows_returning_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """INSERT the rows into `table` (whose primary key is an `id` from a sequence); their new ids, in order.
    On PostgreSQL the ids are drawn from the sequence first, then the rows are copied in with them."""
    if not rows:
        return []
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return [row.id for start in range(0, len(rows), CHUNK)
                for row in connection.execute(statement, rows[start:start + CHUNK])]
    ids = list(connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)}).scalars())
    _copy(connection, table.name, ["id", *rows[0]], [{"id": id_, **row} for id_, row in zip(ids, rows)])
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
            connection.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows[start:start + CHUNK]])
        return
    connection.execute(text(f"CREATE TEMPORARY TABLE bulk_update ON COMMIT DROP AS "
                            f"{_select_columns(table, ['id', *columns])} WITH NO DATA"))
    _copy(connection, "bulk_update", ["id", *columns], rows)
    assignments = ", ".join(f'"{c}" = bulk_update."{c}"' for c in columns)
    connection.execute(text(f'UPDATE "{table.name}" SET {assignments} FROM bulk_update '
                            f'WHERE "{table.name}".id = bulk_update.id'))
    connection.execute(text("DROP TABLE bulk_update"))


def _bind(name: str):
    return bindparam(f"b_{name}")


def _select_columns(table, columns: list[str]) -> str:
    return str(select(*(table.c[c] for c in columns)).compile(compile_kwargs={"literal_binds": True}))
