"""The app factory, configuration, health check, security headers and error pages."""

import pytest

from crm import create_app
from crm.config import ConfigError


def test_production_refuses_to_start_without_secret_key_and_database_url(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as error:
        create_app(
            {"CRM_ENV": "production", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None, "INSTANCE_PATH": tmp_path}
        )
    assert "SECRET_KEY" in str(error.value) and "DATABASE_URL" in str(error.value)


def test_development_keeps_a_generated_secret_key_in_the_instance_folder(tmp_path):
    first = create_app(
        {"CRM_ENV": "development", "SECRET_KEY": None, "INSTANCE_PATH": tmp_path, "MAIL_WORKER_THREAD": False}
    )
    second = create_app(
        {"CRM_ENV": "development", "SECRET_KEY": None, "INSTANCE_PATH": tmp_path, "MAIL_WORKER_THREAD": False}
    )
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").exists()
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    assert first.config["MAIL_BACKEND"] == "file"


def test_config_name_selects_a_config_class(tmp_path):
    app = create_app("testing")
    assert app.config["TESTING"] and app.config["MAIL_BACKEND"] == "memory"


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            "CRM_ENV": "testing",
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/nothing",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False


def test_css_framework_is_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in html
    assert "cdn" not in html.lower()
    css = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unknown_api_route_gets_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "page_not_found"


def test_form_post_without_csrf_token_gets_the_400_page(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever123"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_oversized_request_gets_413(client):
    response = client.post("/join", data={"full_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_the_500_page_not_a_traceback(tmp_path):
    app = create_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/__boom")
    def boom():
        raise RuntimeError("boom")

    from crm.auth.access import ACCESS, PUBLIC

    ACCESS["boom"] = PUBLIC
    try:
        response = app.test_client().get("/__boom")
    finally:
        del ACCESS["boom"]
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_a_write_that_waits_too_long_for_another_gets_a_busy_page_and_saves_nothing(tmp_path):
    """SQLite: while another writer holds the database (an import being applied), an edit waits up to the busy
    timeout, then is answered 503 with what to do, not a 500; nothing of it is saved."""
    import sqlite3

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.stakeholders.models import Person
    from tests.benchmarks.staff_login import login_staff
    from tests.conftest import PASSWORD, Browser

    path = tmp_path / "busy.sqlite3"
    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "INSTANCE_PATH": tmp_path,
            "SQLITE_BUSY_TIMEOUT_MS": 100,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    with app.app_context():
        upgrade()
        create_user(
            db.session, email="busy@example.org", password=PASSWORD, role="committee", confirmed=True, name="Busy"
        )
        db.session.commit()
        db.session.remove()
    browser = Browser(login_staff(app, "busy@example.org", PASSWORD))
    token = browser.token("/directory/people/new")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        response = browser.post(
            "/directory/people/new", {"csrf_token": token, "full_name": "Waiting Person", "jurisdiction": ""}
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "Nothing was saved: try again in a moment" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0
        db.engine.dispose()
    response = browser.post("/directory/people/new", {"full_name": "Waiting Person", "jurisdiction": ""})
    assert response.status_code == 302  # once the other writer is done, the same edit goes through


def test_a_database_fault_that_waiting_does_not_cure_gets_the_500_page_not_busy(tmp_path):
    """Only a busy database, a deadlock or a lost connection is answered "try again"; a missing table (a skipped
    migration) is a fault, answered and logged as one."""
    from sqlalchemy import text

    from crm.extensions import db

    app = create_app(
        {
            "CRM_ENV": "testing",
            "INSTANCE_PATH": tmp_path,
            "PROPAGATE_EXCEPTIONS": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fault.sqlite3'}",
        }
    )

    @app.route("/__fault")
    def fault():
        db.session.execute(text("SELECT * FROM no_such_table"))

    from crm.auth.access import ACCESS, PUBLIC

    ACCESS["fault"] = PUBLIC
    try:
        response = app.test_client().get("/__fault")
    finally:
        del ACCESS["fault"]
    assert response.status_code == 500 and "Something went wrong" in response.get_data(as_text=True)
