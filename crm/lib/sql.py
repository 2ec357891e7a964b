"""SQL expressions written per database, for what SQLAlchemy's portable forms plan badly somewhere."""

import unicodedata

from sqlalchemy import Integer, bindparam, column, func, literal, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal


class DialectExpression(FunctionElement):
    """An expression of two arguments, written per database from `templates` ({0}, {1}: the arguments)."""

    inherit_cache = True
    templates: dict[str, str] = {}


@compiles(DialectExpression)
def _compile_dialect_expression(element, compiler, **kw):
    arguments = [compiler.process(clause, **kw) for clause in element.clauses]
    return element.templates.get(compiler.dialect.name, element.templates["default"]).format(*arguments)


class _ContainsText(DialectExpression):
    """`column` contains `pattern`, ignoring case: ILIKE on PostgreSQL, plain LIKE on SQLite (already
    case-insensitive for ASCII, and several times faster than lower(x) LIKE lower(y), which is also ASCII-only).
    Untyped, as `in_subquery`, so SQLite gets `x LIKE y`, not `x LIKE y = 1`."""

    name = "contains_text"
    inherit_cache = True
    templates = {
        "default": "lower({0}) LIKE lower({1}) ESCAPE '\\'",
        "postgresql": "{0} ILIKE {1} ESCAPE '\\'",
        "sqlite": "{0} LIKE {1} ESCAPE '\\'",
    }


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character: backslash) for values containing `text` as it is."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(column, text: str):
    return _ContainsText(column, literal(contains_pattern(text)))


class fold(FunctionElement):
    """Text folded for searching and sorting: lower-cased, and on PostgreSQL also stripped of accents by
    `fold_text()` (migration 0023: unaccent, then lower), so "Quebec" finds "Québec" and "Émile" sorts among the
    Es. SQLite's lower() folds ASCII only (its trigram tables, 0018, fold names and contacts further)."""

    name = "fold"
    inherit_cache = True


@compiles(fold)
def _compile_fold(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _compile_fold_postgresql(element, compiler, **kw):
    return f"fold_text({compiler.process(element.clauses, **kw)})"


class _ContainsFolded(DialectExpression):
    """`column` contains `pattern`, both folded (`fold`). SQLite: a plain LIKE, case-insensitive for ASCII as
    `_ContainsText`. PostgreSQL: served by a trigram index on `fold_text(column)`."""

    name = "contains_folded"
    inherit_cache = True
    templates = {
        "default": "lower({0}) LIKE lower({1}) ESCAPE '\\'",
        "postgresql": "fold_text({0}) LIKE fold_text({1}) ESCAPE '\\'",
        "sqlite": "{0} LIKE {1} ESCAPE '\\'",
    }


def contains_folded(column, text: str):
    return _ContainsFolded(column, literal(contains_pattern(text)))


def contains_lowered(column, text: str):
    """`column`, which holds text already folded by the database (`fold`, such as `people.search_name`),
    contains `text`, ignoring case (and on PostgreSQL accents): a plain LIKE on the column, with the pattern
    folded by the same function."""
    return column.like(fold(literal(contains_pattern(text))), escape="\\")


class _InSubquery(DialectExpression):
    """`column IN (subquery)`; on PostgreSQL `column = ANY(ARRAY(subquery))`, so an index can serve an OR's arm.
    Why: docs/design-notes.md, "sql.py: _InSubquery"."""

    name = "in_subquery"
    inherit_cache = True
    templates = {"default": "{0} IN {1}", "postgresql": "{0} = ANY(ARRAY{1})"}


def in_subquery(column, subquery):
    return _InSubquery(column, subquery.scalar_subquery())


class ByDialect(ColumnElement):
    """One of several conditions, chosen by the database that compiles the statement (`default` for others),
    where the fast form differs. Why untyped: docs/design-notes.md, "sql.py: ByDialect"."""

    inherit_cache = True
    # What the statement cache keys on: both forms (the SQL differs per database; the key need not).
    _traverse_internals = [
        ("default", InternalTraversal.dp_clauseelement),
        ("per_dialect", InternalTraversal.dp_string_clauseelement_dict),
    ]

    def __init__(self, default, **per_dialect):
        self.default, self.per_dialect = default, per_dialect

    @property
    def _from_objects(self):
        return self.default._from_objects


@compiles(ByDialect)
def _compile_by_dialect(element, compiler, **kw):
    # In parentheses: the compiler cannot tell this element's precedence, and `archived IS false
    # AND a OR b` would keep archived people matched by `b`.
    return "(" + compiler.process(element.per_dialect.get(compiler.dialect.name, element.default), **kw) + ")"


# SQLite's trigram indexes: FTS5 tables over one text column of a table, kept up to date by
# triggers (migration 0018). They are not models; alembic's comparison leaves them and their shadow
# tables out (`autogenerate_filter`).
SQLITE_TRIGRAM_TABLES = ("people_search", "contact_points_search")
TRIGRAM = 3  # a trigram index finds text of at least this many characters


def sqlite_trigram_ids(name: str, text: str):
    """The ids of the rows whose indexed column contains `text`, ignoring case (Unicode case folding), from the
    SQLite trigram table `name`. `text` must be at least TRIGRAM characters long; the search is for the literal
    text (as a quoted FTS5 phrase, so `%`, `_`, quotes and operators in it mean themselves)."""
    phrase = '"' + text.replace('"', '""') + '"'
    index = table(name, column("rowid"))
    return select(index.c.rowid).where(literal_column(name).op("MATCH")(literal(phrase)))


# Letters that unaccent (PostgreSQL's fold_text, 0023) spells out and NFKD leaves as they are.
_SPELLED_OUT = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
    | {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i"}
)


def fold_python(text: str | None) -> str | None:
    """Text in lower case without accents, as PostgreSQL's fold_text() (0023); SQLite's `fold_text`, registered
    on each connection by the app factory, so that a search ignores accents there too."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_SPELLED_OUT))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class unaccented(FunctionElement):
    """Text folded on both databases: `fold_text()` on PostgreSQL (0023) and on SQLite (`fold_python`,
    registered per connection), lower() elsewhere. `fold` stays lower() on SQLite, where the directory reads
    its trigram tables; this is for the scans and the indexed PostgreSQL expressions of the one search."""

    name = "unaccented"
    inherit_cache = True


@compiles(unaccented)
def _compile_unaccented(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unaccented, "postgresql")
@compiles(unaccented, "sqlite")
def _compile_unaccented_folded(element, compiler, **kw):
    return f"fold_text({compiler.process(element.clauses, **kw)})"


def analyze(session, tables, columns=()) -> None:
    """Refresh the planner's statistics of `tables` (names; only `columns` of them, PostgreSQL) now, in the session's
    transaction: after a bulk load, so the next query is not planned blind while autovacuum has yet to look."""
    preparer = session.get_bind().dialect.identifier_preparer
    only = f" ({', '.join(preparer.quote(name) for name in columns)})" if columns else ""
    for name in tables:
        session.execute(text(f"ANALYZE {preparer.quote(name)}{only}"))


def in_ids(session, column, ids) -> ColumnElement:
    """`column IN (ids)`, or on PostgreSQL `column = ANY(:ids)`: one array parameter, not one per id. A list of
    1,000 ids took 14 ms a statement to render, send and plan; the array, 4 ms."""
    if session.get_bind().dialect.name == "postgresql":
        return column == func.any(bindparam(None, value=list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))
