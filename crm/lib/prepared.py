"""A named PostgreSQL prepared statement run through libpq itself (psycopg's `pgconn`), for the hottest reads: one
round trip and no cursor. Why, and what it costs in mixed traffic: docs/design-notes.md, "lib/prepared.py"."""

from psycopg import OperationalError, errors, pq
from psycopg.adapt import Transformer

_NOT_PREPARED = b"26000"  # invalid_sql_statement_name: a new connection, or psycopg's DEALLOCATE ALL ran


class PreparedStatement:
    """`sql` with $1, $2, … placeholders, prepared as `name` on each connection the first time it runs there."""

    def __init__(self, name: str, sql: str):
        self.name, self.sql = name.encode(), sql.encode()

    def rows(self, connection, params: list[str]) -> list[tuple]:
        """The rows, as tuples of Python values, of the statement run with `params` (text) on `connection` (a psycopg
        Connection, not in a transaction). A failure is raised as psycopg's error; a lost connection as its
        OperationalError."""
        pgconn = connection.pgconn
        values = [param.encode() for param in params]
        result = pgconn.exec_prepared(self.name, values)
        if result.status != pq.ExecStatus.TUPLES_OK and _missing(result, pgconn):
            _check(pgconn.prepare(self.name, self.sql), pgconn, connection)
            result = pgconn.exec_prepared(self.name, values)
        _check(result, pgconn, connection)
        loader = Transformer(connection)
        loader.set_pgresult(result)
        return loader.load_rows(0, result.ntuples, tuple)


def _missing(result, pgconn) -> bool:
    """Not prepared on this connection, outside a transaction (so nothing was aborted and it can be prepared)."""
    return (
        result.error_field(pq.DiagnosticField.SQLSTATE) == _NOT_PREPARED
        and pgconn.transaction_status == pq.TransactionStatus.IDLE
    )


def _check(result, pgconn, connection) -> None:
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return
    if pgconn.status == pq.ConnStatus.BAD:
        raise OperationalError(f"the connection was lost: {pgconn.get_error_message()}")
    raise errors.error_from_result(result, encoding=connection.info.encoding)
