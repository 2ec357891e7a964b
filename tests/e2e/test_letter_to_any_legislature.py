"""In a real browser: a Halifax member finds their MLA through Represent (a local fake built from its documented
answers, which the live server is pointed at for this test) and sends a letter that reaches the MLA's address."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_as, screenshot
from tests.legislatures.represent_fake import FakeRepresent


@pytest.fixture
def live_represent(live_server, httpserver):
    app = live_server.app
    app.config["REPRESENT_API_URL"] = httpserver.url_for("/")
    yield FakeRepresent(httpserver)
    app.config["REPRESENT_API_URL"] = None


def _nova_scotia_campaign(app) -> str:
    from sqlalchemy import select

    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction

    with app.app_context():
        nova_scotia = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "NS"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name="PRA spots in Nova Scotia",
            kind="own_representative",
            jurisdiction_id=nova_scotia,
            summary="Ask your MLA for more Practice-Ready Assessment spots.",
        )
        services.save_template(
            db.session,
            campaign,
            subject="A physician in {{ riding_name }}",
            actor_id=None,
            blocks=[
                services.BlockInput("locked", "Dear {{ representative_title }} {{ representative_name }},"),
                services.BlockInput("personal", "Your story", label="Your story", min_length=40),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        db.session.commit()
        slug = campaign.slug
        db.session.remove()
    return slug


def test_a_halifax_member_writes_to_their_mla_found_through_represent(page, live_server, live_represent):
    base = live_server.url
    slug = _nova_scotia_campaign(live_server.app)
    login_as(page, live_server, "member", email="halifax.member@example.org")
    page.goto(f"{base}/campaigns/{slug}/write")
    page.get_by_label("Your postal code").fill("b3h 4r2")
    page.get_by_role("button", name="Find my representative").click()
    expect(page.get_by_text("MLA · Halifax Citadel-Sable Island")).to_be_visible()
    screenshot(page, "legislature-01-mla-found")
    page.get_by_role("link", name="Write to Morgan Ellis").click()

    expect(page.get_by_text("Dear MLA Morgan Ellis,")).to_be_visible()
    page.get_by_label("Your story").fill(
        "I practised internal medicine for ten years in Tehran and now live in Halifax."
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#letter-preview")).to_contain_text("now live in Halifax")
    page.get_by_role("button", name="Send my letter").click()
    expect(page.get_by_text("Your letter to Morgan Ellis is on its way")).to_be_visible()
    screenshot(page, "legislature-02-sent")

    mine = page.get_by_role("row").filter(has_text="m.ellis@mla.example.org")
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.count():
            break
        page.wait_for_timeout(200)
    expect(mine.first).to_be_visible()
    assert live_represent.requests == ["/postcodes/B3H4R2/"]
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
