"""Extension objects, created unbound and initialised by the app factory."""

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Index, MetaData, func, text
from sqlalchemy.orm import DeclarativeBase

from crm.lib.migrations import LazyMigrate
from crm.lib.sql import SQLITE_TRIGRAM_TABLES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata names constraints predictably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def only_on(dialect: str, item):
    """Declare a schema item (an Index) that exists on one database only, such as a PostgreSQL trigram index:
    CREATE skips it elsewhere, and so does autogenerate (`autogenerate_filter`), so the models stay the whole
    description of the schema on every database."""
    item.info["only_on"] = dialect
    return item.ddl_if(dialect=dialect)


def search_trigram_index(table: str, column: str, folded: bool = True) -> Index:
    """A PostgreSQL trigram index (pg_trgm) of `fold_text(column)`, or of the column itself when not `folded`,
    which serves a LIKE / ILIKE '%text%' on it; none elsewhere."""
    name = f"{column}_folded" if folded else column
    expression = func.fold_text(text(column)).label(name) if folded else column
    return only_on(
        "postgresql",
        Index(
            f"ix_{table}_{name}_trgm",
            expression,
            postgresql_using="gin",
            postgresql_ops={name: "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 256},
        ),
    )


def autogenerate_filter(dialect: str):
    """Alembic's `include_object` for a connection to `dialect`: leaves out what the models declare `only_on`
    another database (a migration does not create it there, so its absence is not a difference)."""
    # Tables a migration makes with no model: SQLite's full-text ones, PostgreSQL's postal_lookup (0044)
    unmodelled = SQLITE_TRIGRAM_TABLES if dialect == "sqlite" else ("postal_lookup",)

    def include_object(item, name, type_, reflected, compare_to):
        if type_ == "table" and reflected and compare_to is None and name.startswith(unmodelled):
            return False  # e.g. a full-text table or one of its shadow tables (crm/lib/sql.py)
        return item.info.get("only_on", dialect) == dialect

    return include_object


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()  # Flask-Migrate, imported when a migration runs
login_manager = LoginManager()
csrf = CSRFProtect()


def __getattr__(name: str):
    """`limiter` (Flask-Limiter) is made when first imported (PEP 562): the worker app never rate-limits a request
    and is spared its 2 MB of imports. Code the worker imports counts through take_shared_request, which makes it
    only when called."""
    if name != "limiter":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from crm.lib import ratelimit  # noqa: F401  (registers the counter:// rate-limit storage)

    made = globals()["limiter"] = Limiter(key_func=get_remote_address, default_limits=[])
    return made


def take_shared_request(rate: str, key: str) -> float | None:
    """Count one request to an outside service against `rate` ("60/minute") in the rate limiter's storage, which
    every process shares (Redis in production): None when counted, else the Unix time its window resets."""
    from limits import parse

    limit, storage = parse(rate), (globals().get("limiter") or __getattr__("limiter")).limiter
    return None if storage.hit(limit, key) else storage.get_window_stats(limit, key)[0]
