"""Browser tests: a live server in a thread and real Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from crm.reference.models import ElectoralDistrict, Jurisdiction
from tests.conftest import DATABASES

# A district of Ontario's legislature: the districts other tests add from Represent (Nova Scotia, the Commons)
# are numbered from 1 in their own legislature, so "riding number 1" alone is ambiguous on the shared live server.
ON_RIDING = ElectoralDistrict.jurisdiction.has(Jurisdiction.code == "ON")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def chromium():
    if not _browser_available():
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required here but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def fresh_database(kind: str, name: str, tmp_path_factory) -> str:
    """An empty database for one browser-test server: a new SQLite file, or the PostgreSQL database
    `<TEST_DATABASE_URL's name>_<name>` (per xdist worker; created if missing, its public schema emptied). Never the
    database other tests use: they drop its public schema while a live server would still hold it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.sqlite3'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from crm.config import normalise_database_url
    from tests.conftest import reset_postgres

    base = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    database = f"{base.database}_{name}" + (f"_{worker}" if worker else "")
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}):
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    engine.dispose()
    url = base.set(database=database).render_as_string(hide_password=False)
    reset_postgres(url)
    return url


def database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    """The browser tests' database, once per database the suite runs on (SQLite; PostgreSQL with TEST_DATABASE_URL).
    It keeps the name of tests/conftest.py's fixture, so a PostgreSQL run is marked `postgres` the same way."""
    return fresh_database(request.param, "e2e", tmp_path_factory)


def start_server(app):
    """Serve `app` from a thread on a free port; returns the server, with `.app` and `.url`."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.app, server.url = app, f"http://127.0.0.1:{server.server_port}"
    return server


@pytest.fixture(scope="package")  # its worker thread stops with the browser tests: it shares the process
def live_server(database_url, tmp_path_factory):
    """The app as `make run` configures it (file mail, worker thread, dev mailbox) on a free port."""
    from flask_migrate import upgrade

    from crm import create_app
    from crm.cli import seed_reference_data
    from crm.extensions import db
    from crm.lib.i18n import compile_catalogues
    from crm.lib.schedule import registered_jobs

    compile_catalogues()  # what `make install` does: French needs its .mo
    instance = tmp_path_factory.mktemp("e2e-instance")
    app = create_app(
        {
            "CRM_ENV": "development",
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_WORKER_THREAD": True,
            "MAIL_WORKER_INTERVAL": 0.2,
        }
    )
    # Every real job, as `make run` runs them; not the ones a later test registers for itself.
    app.config["SCHEDULED_JOBS"] = ",".join(job.name for job in registered_jobs())
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        db.session.remove()
    server = start_server(app)
    app.config["PUBLIC_BASE_URL"] = server.url  # links in mail the worker writes (mailings), as `make run` sets it
    yield server
    server.shutdown()
    stop = app.extensions.get("crm.worker_stop")
    if stop:
        stop.set()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each browser test starts with fresh rate limits, as every other test does (tests/conftest.py): the live
    server's limits would otherwise count all the browser tests' logins together (10 a minute from 127.0.0.1)."""
    if "live_server" in request.fixturenames:
        from crm.extensions import limiter

        with request.getfixturevalue("live_server").app.app_context():
            limiter.reset()
    yield


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login_as(page, live_server, role: str, email: str | None = None) -> str:
    """Create a user of this role in the live server's database and log in through the UI."""
    import pyotp

    from crm.auth.services import create_user, find_user_by_email
    from crm.auth.totp_secrets import seal, unseal
    from crm.extensions import db
    from tests.conftest import PASSWORD

    email = email or f"e2e-{role}@example.org"
    secret = pyotp.random_base32()
    with live_server.app.app_context():
        user = find_user_by_email(db.session, email)
        if user is None:
            user = create_user(
                db.session, email=email, password=PASSWORD, role=role, confirmed=True, name=f"E2E {role.title()}"
            )
            if user.mfa_required:
                from datetime import datetime

                user.totp_secret, user.mfa_enabled_at = seal(user.id, secret), datetime.utcnow()
            db.session.commit()
        secret, _ = unseal(user.id, user.totp_secret)
        db.session.remove()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if "/login/verify" in page.url:
        with live_server.app.app_context():
            from crm.auth.models import User

            last = db.session.get(User, user.id).totp_last_step
            db.session.remove()
        from tests.conftest import unused_totp_step

        page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(unused_totp_step(last) * 30))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/home")
    return email
