"""In a real browser: a lead opens each dashboard (campaign and map, evidence, committee), desktop and phone.

The dashboards get their own server and database (on each database the suite runs on), filled with
`flask crm demo --scale small`, so the demo data (and its long write) never touches the shared live server
other browser tests rely on.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import database_kind, fresh_database, login_as, screenshot, start_server


@pytest.fixture(scope="module")
def demo_server(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    from crm import create_app
    from crm.campaigns.models import Campaign
    from crm.cli import seed_reference_data
    from crm.dashboards.demo import load_demo
    from crm.extensions import db

    instance = tmp_path_factory.mktemp("e2e-dashboards")
    app = create_app(
        {
            "CRM_ENV": "testing",
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "e2e-dashboards",
            "SQLALCHEMY_DATABASE_URI": fresh_database(database_kind(database_url), "e2e_demo", tmp_path_factory),
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        load_demo(db.session, "small")
        db.session.commit()
        app.demo_campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == "demo-1"))
        db.session.remove()
    server = start_server(app)
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_lead_opens_each_dashboard_in_a_browser(page, demo_server):
    page.set_default_timeout(15_000)
    campaign_id = demo_server.app.demo_campaign_id
    login_as(page, demo_server, "lead", email="dashboards.lead@example.org")
    page.get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Skills to help: more PRA spots now").click()
    page.wait_for_url(f"**/dashboards/campaigns/{campaign_id}")
    expect(page.locator("svg.map-svg").first).to_be_visible()  # the page has loaded (under load it can lag the URL)
    assert page.locator("svg.map-svg path").count() > 124
    assert "ridings reached of 124" in page.locator("#main").inner_text()
    assert page.locator("svg.map-svg path title").first.text_content().count(":") == 1
    screenshot(page, "dashboard-campaign")

    assert "members joined ITPO through this campaign" in page.locator("#main").inner_text()

    page.goto(demo_server.url + "/dashboards/members")
    assert page.get_by_role("heading", name="Members by licensure stage").is_visible()
    screenshot(page, "dashboard-member-evidence")
    page.get_by_label("Campaign").select_option(label="Skills to help: more PRA spots now")
    page.get_by_role("button", name="Apply").click()
    assert "who wrote a letter in it, “Skills to help: more PRA spots now”" in page.locator("#main").inner_text()
    screenshot(page, "dashboard-member-evidence-campaign")

    page.goto(demo_server.url + "/dashboards/committee")
    assert page.get_by_role("heading", name="The asks across Canada, in summary").is_visible()
    assert page.get_by_role("heading", name="Who the programs reach").is_visible()
    assert page.get_by_role("heading", name="Interactions by kind of stakeholder").is_visible()
    screenshot(page, "dashboard-committee")
    assert not page.console_errors, page.console_errors


def test_campaign_dashboard_is_readable_on_a_phone(phone, demo_server):
    phone.set_default_timeout(15_000)
    login_as(phone, demo_server, "lead", email="dashboards.phone@example.org")
    phone.goto(demo_server.url + f"/dashboards/campaigns/{demo_server.app.demo_campaign_id}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # nothing wider than the screen
    screenshot(phone, "dashboard-campaign-phone")
