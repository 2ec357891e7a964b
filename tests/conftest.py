"""Fixtures: one app per database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set).

The schema is built by the real migrations once per database; every test starts from the seeded
reference tables and empty everything-else (rows are deleted after each test).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select, text

from crm import create_app
from crm.extensions import db, limiter

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# Loaded once per session and never changed by tests.
REFERENCE_TABLES = {
    "jurisdictions",
    "electoral_districts",
    "postal_areas",
    "alembic_version",
    "directory_revision",
}  # (its one row, which migration 0019 writes)
PASSWORD = "correct horse battery staple"


def reset_postgres(url: str) -> None:
    """Start from an empty public schema, so the migrations build everything."""
    from crm.config import normalise_database_url

    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str) -> str:
    """Under pytest-xdist, this worker's own PostgreSQL database (`<name>_gw0`, …, created if missing), so that
    workers never drop each other's schema; without xdist, the URL unchanged."""
    from sqlalchemy.engine import make_url

    from crm.config import normalise_database_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(normalise_database_url(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    url = worker_database(os.environ["TEST_DATABASE_URL"])
    reset_postgres(url)
    return url


# Markers (declared in pyproject.toml) are applied here rather than in the test files. `make test-fast` leaves
# out e2e, slow and postgres. A test whose name ends in `_on_postgresql` skips on SQLite: it is marked postgres.
E2E_DIR = Path(__file__).parent / "e2e"
SLOW = (  # node id prefixes: tests that start processes or take 4 s or more alone (SQLite, pytest --durations)
    "tests/test_load_short.py",  # 9 s: gunicorn with two workers under a 4-second mixed load
    "tests/outbox/test_crash_safety.py",  # 11 s and 3.5 s: worker subprocesses, SIGKILLed or four at once
    "tests/security/test_hostile_input.py::test_every_form_survives_hostile_values",  # 17 s as admin: every form
    "tests/security/test_hostile_input.py::test_every_get_route_survives_hostile_query_strings",  # 10 s
    "tests/security/test_stored_xss.py::test_no_page_renders_a_stored_payload_as_markup",  # 4.5 s: every page
    "tests/outbox/test_webhook.py::test_ten_thousand_events_each_sent_three_times",  # 4 s: 30,000 events
    "tests/ops/test_production_notes.py",  # gunicorn and a worker started from docs/operations.md's units
    "tests/ops/test_worker_processes.py",  # three worker processes at once
    "tests/benchmarks/test_floor_app.py::test_each_pages_floor",  # 5 s: seven pages captured, requested, replayed
    "tests/ops/test_worker_memory.py::test_a_started_app_holds_no",  # 2-9 s: an app started in a fresh process
)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark browser tests `e2e`, runs on PostgreSQL `postgres`, tests that start processes or run long `slow`."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("database_url") == "postgresql" or getattr(item, "originalname", "").endswith("_on_postgresql"):
            item.add_marker(pytest.mark.postgres)
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    from crm.cli import seed_reference_data
    from crm.lib.i18n import compile_catalogues
    from crm.reference.services import seed_jurisdictions, seed_ontario_districts, seed_postal_areas

    compile_catalogues()  # what `make install` does: the French catalogue's .mo
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        upgrade()
        seed_jurisdictions(db.session)
        seed_ontario_districts(db.session)
        seed_postal_areas(db.session)
        db.session.commit()
    app.config["SEED_ALL"] = seed_reference_data
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# argon2id as configured costs 64 MB and ~0.1 s per hash (seconds when both cores are busy); a test suite that
# makes and logs in thousands of users, each staff login hashing ten recovery codes, would spend most of its time
# there. Tests hash with the cheapest argon2id settings, except the module that tests the real ones.
REAL_HASHING = {"test_passwords.py"}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    if request.path.name not in REAL_HASHING:
        from argon2 import PasswordHasher

        from crm.auth import passwords

        monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield


@pytest.fixture(autouse=True)
def _clean_database(request):
    """After each test: empty every table but the reference tables; reset rate limits and the mailbox."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(delete(table))
        # Districts taken from Represent (or the demo) outside Ontario's shipped 124 (crm/legislatures)
        db.session.execute(text("DELETE FROM electoral_districts WHERE ocd_id LIKE 'represent:%'"))
        db.session.commit()
        db.session.remove()
        limiter.reset()
        app.extensions["crm.mailer"].sent.clear()


@pytest.fixture
def app_ctx(app):
    """An app context for the whole test (test-client requests reuse it; `Browser` clears `g` between them)."""
    with app.app_context():
        yield app


@pytest.fixture
def session(app_ctx):
    """The app's database session, inside an app context."""
    return db.session


@pytest.fixture
def seeded(app):
    """The full reference data, including the MPP roster and the organizations."""
    with app.app_context():
        app.config["SEED_ALL"](db.session)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _forget_request_caches() -> None:
    """When a test holds an app context (e.g. via `session`), Flask reuses it for each request, so `g`
    outlives the request: Flask-WTF's CSRF token and Flask-Login's user would leak into the next one
    (wrong after login or logout). Drop them, as a real request would start without them."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("csrf_token", None)
        g.pop("_login_user", None)


class Browser:
    """The test client with helpers for forms: it fetches a page's CSRF token before posting."""

    def __init__(self, client):
        self.client = client
        self.app = client.application

    def get(self, url, **kwargs):
        _forget_request_caches()
        return self.client.get(url, **kwargs)

    def token(self, page: str = "/login") -> str:
        _forget_request_caches()
        return csrf_from(self.client.get(page, follow_redirects=True).get_data(as_text=True))

    def post(self, url, data=None, page: str | None = None, **kwargs):
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = self.token(page or url)
        _forget_request_caches()
        return self.client.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        """Log in; for an account with two-step verification, answer with the next unused TOTP code."""
        follow = kwargs.pop("follow_redirects", False)
        response = self.post("/login", {"email": email, "password": password})
        if response.status_code == 302 and response.headers["Location"].endswith("/login/verify"):
            response = self.post("/login/verify", {"code": next_totp_code(self.app, email)})
        if follow and response.status_code in (301, 302, 303):
            return self.client.get(response.headers["Location"], follow_redirects=True)
        return response

    def logout(self):
        return self.post("/logout", page="/home")


def next_totp_code(app, email: str) -> str:
    """A valid code the server has not accepted yet (a code works once)."""
    import pyotp

    from crm.auth.models import User
    from crm.auth.totp_secrets import unseal

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        (secret, _), last = unseal(user.id, user.totp_secret), user.totp_last_step
        db.session.remove()
    return pyotp.TOTP(secret).at(unused_totp_step(last) * 30)


def unused_totp_step(last: int | None) -> int:
    """The earliest time step the server will still accept (now ±1) that is after the last one it took.

    Three logins of one account within 30 seconds would need a step two ahead: wait for the clock instead.
    """
    import time

    while True:
        now = int(time.time() // 30)
        step = now if last is None or last < now else last + 1
        if step <= now + 1:
            return step
        time.sleep(1)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def make_user(app):
    """Create a confirmed user with a role; returns the User (detached, attributes loaded)."""
    from crm.auth.services import create_user

    counter = {"n": 0}

    def _make(
        role: str = "member",
        email: str | None = None,
        password: str = PASSWORD,
        confirmed: bool = True,
        name: str | None = None,
        mfa: bool | None = None,
    ):
        """Staff get two-step verification by default (it is required for them); pass mfa=False to test enrolment."""
        from datetime import datetime

        import pyotp

        from crm.auth.totp_secrets import seal

        counter["n"] += 1
        with app.app_context():
            user = create_user(
                db.session,
                email=email or f"{role}{counter['n']}@example.org",
                password=password,
                role=role,
                confirmed=confirmed,
                name=name or f"{role.title()} {counter['n']}",
            )
            if mfa or (mfa is None and user.mfa_required):
                user.totp_secret = seal(user.id, pyotp.random_base32())
                user.mfa_enabled_at = datetime.utcnow()
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            db.session.remove()
        return user

    return _make


@pytest.fixture
def mailbox(app):
    """Deliver the outbox through the memory backend; returns the list of sent EmailMessages."""
    sent = app.extensions["crm.mailer"].sent

    class Mailbox:
        def deliver(self):
            from tests.outbox.seams import send_due_messages

            with app.app_context():
                while send_due_messages():
                    pass
            return sent

        @property
        def sent(self):
            return sent

        def last_link(self, path_fragment: str) -> str:
            self.deliver()
            for message in reversed(sent):
                body = message.get_body(preferencelist=("plain",)).get_content()
                match = re.search(r"https?://[^\s]+" + re.escape(path_fragment) + r"[^\s]*", body)
                if match:
                    return re.sub(r"^https?://[^/]+", "", match.group(0))
            raise AssertionError(f"no mail with a link containing {path_fragment!r}")

    return Mailbox()


@pytest.fixture
def count_queries(app):
    """Context manager counting SQL statements: `with count_queries() as q: ...; q.count`."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def _count():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count
