"""The Represent API lookup is on by default in production and off in development and tests (no network here)."""

from crm import create_app
from crm.config import REPRESENT_API_DEFAULT, BaseConfig, DevelopmentConfig, ProductionConfig, TestingConfig


def _app(tmp_path, env: str, **overrides):
    config = {
        "CRM_ENV": env,
        "SECRET_KEY": "x" * 40,
        "INSTANCE_PATH": tmp_path,
        "MAIL_WORKER_THREAD": False,
        "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/never_connected",
    }
    return create_app(config | overrides)


def test_production_looks_postal_codes_up_in_represent_by_default(tmp_path):
    assert ProductionConfig.REPRESENT_API_URL == REPRESENT_API_DEFAULT == "https://represent.opennorth.ca"
    production = _app(tmp_path, "production", MAIL_BACKEND="memory")
    assert production.config["REPRESENT_API_URL"] == REPRESENT_API_DEFAULT


def test_development_and_tests_never_ask_represent_by_default(tmp_path):
    assert BaseConfig.REPRESENT_API_URL is None and DevelopmentConfig.REPRESENT_API_URL is None
    assert TestingConfig.REPRESENT_API_URL is None
    assert _app(tmp_path / "dev", "development").config["REPRESENT_API_URL"] is None
    assert _app(tmp_path / "test", "testing").config["REPRESENT_API_URL"] is None


def test_the_suite_runs_without_represent(app):
    assert app.config["REPRESENT_API_URL"] is None


def test_a_postal_code_in_a_test_uses_the_postal_table_not_the_network(
    app, browser, make_campaign, make_member, monkeypatch
):
    from crm.campaigns import represent

    def no_network(*args, **kwargs):
        raise AssertionError("a test reached for the Represent API")

    monkeypatch.setattr(represent, "_fetch", no_network)
    campaign = make_campaign()
    browser.login(make_member(riding=None).email)
    html = browser.get(f"/campaigns/{campaign.slug}/write?postal_code=M5V 3L9").get_data(as_text=True)
    assert "Spadina" in html  # the FSA table's answer
