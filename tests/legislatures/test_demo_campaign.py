"""The demo's Nova Scotia campaign works with no network: its MLAs are in the directory and a few Halifax postal
codes are already placed, so Represent is never contacted by the default configuration."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.campaigns.models import Campaign, Letter
from crm.dashboards.demo_legislatures import add_legislature_campaign
from crm.extensions import db
from crm.members.models import MemberProfile
from crm.reference.models import ElectoralDistrict
from tests.campaigns.conftest import letter_data


def _load(app) -> str:
    with app.app_context():
        slug = add_legislature_campaign(db.session, date.today()).slug
        db.session.commit()
        db.session.remove()
    return slug


def test_a_demo_member_in_halifax_writes_to_their_mla_without_represent(
    app, browser, session, seeded, make_user, httpserver, mailbox
):
    assert app.config["REPRESENT_API_URL"] is None
    slug = _load(app)
    member = make_user(name="Dr. Nadia Rahman")
    session.add(MemberProfile(user_id=member.id, postal_code="B3H 4R2", province="NS"))
    session.commit()
    browser.login(member.email)
    html = browser.get(f"/campaigns/{slug}/write?postal_code=B3H 4R2").get_data(as_text=True)
    assert "Robin Fraser" in html and "MLA · Halifax Citadel-Sable Island" in html
    district = session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.name == "Halifax Citadel-Sable Island"))
    page = browser.get(f"/campaigns/{slug}/write?recipient=district-{district.id}").get_data(as_text=True)
    assert "as my MLA" in page
    url = f"/campaigns/{slug}/write?recipient=district-{district.id}"
    assert (
        browser.post(
            url,
            letter_data(**{"block-3": "I trained in Lahore and practised family medicine for twelve years. " * 6}),
            page=url,
        ).status_code
        == 302
    )
    assert session.scalar(select(Letter.to_address)) == "rfraser@mla.example.org"
    assert httpserver.log == []


def test_the_demo_shows_a_letter_stopped_for_want_of_an_address(app, browser, session, seeded, make_user):
    slug = _load(app)
    browser.login(make_user().email)
    html = browser.get(f"/campaigns/{slug}/write?postal_code=B2Y 1A1").get_data(as_text=True)
    assert "Morgan Levesque" in html
    district = session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.name == "Dartmouth South"))
    url = f"/campaigns/{slug}/write?recipient=district-{district.id}"
    html = browser.post(url, letter_data(), page=url).get_data(as_text=True)
    assert "We do not have a confirmed email address for Morgan Levesque yet" in html
    campaign_id = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    browser.logout()
    browser.login(make_user(role="lead").email)
    page = browser.get(f"/manage/campaigns/{campaign_id}").get_data(as_text=True)
    assert "The directory holds 5 of the 55 MLAs of the Nova Scotia House of Assembly, 1 of them without" in page
    assert "Represent is not configured" in page
