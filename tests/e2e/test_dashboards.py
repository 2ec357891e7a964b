"""In a real browser: a lead opens the campaign dashboard (with its map) and the member evidence, on desktop and phone."""
from sqlalchemy import select

from tests.e2e.conftest import login_as, screenshot


def _demo_campaign(live_server) -> int:
    """Load the small demo data once into the live server's database; the live campaign's id."""
    from crm.campaigns.models import Campaign
    from crm.dashboards.demo import has_members, load_demo
    from crm.extensions import db

    with live_server.app.app_context():
        if not has_members(db.session):
            load_demo(db.session, "small")
            db.session.commit()
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == "demo-1"))
        db.session.remove()
    return campaign_id


def test_lead_opens_each_dashboard_in_a_browser(page, live_server):
    page.set_default_timeout(15_000)
    campaign_id = _demo_campaign(live_server)
    login_as(page, live_server, "lead", email="dashboards.lead@example.org")
    page.get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Skills to help: more PRA spots now").click()
    assert page.url.endswith(f"/dashboards/campaigns/{campaign_id}")
    assert page.locator("svg.map-svg path").count() > 124
    assert "ridings reached of 124" in page.locator("#main").inner_text()
    assert page.locator("svg.map-svg path title").first.text_content().count(":") == 1
    screenshot(page, "dashboard-campaign")

    page.goto(live_server.url + "/dashboards/members")
    assert page.get_by_role("heading", name="Members by licensure stage").is_visible()
    screenshot(page, "dashboard-member-evidence")
    assert not page.console_errors, page.console_errors


def test_campaign_dashboard_is_readable_on_a_phone(phone, live_server):
    phone.set_default_timeout(15_000)
    campaign_id = _demo_campaign(live_server)
    login_as(phone, live_server, "lead", email="dashboards.phone@example.org")
    phone.goto(live_server.url + f"/dashboards/campaigns/{campaign_id}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # nothing wider than the screen
    screenshot(phone, "dashboard-campaign-phone")
