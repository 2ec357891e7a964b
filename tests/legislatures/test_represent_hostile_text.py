"""Represent's answer is third-party text: markup in a name, party or district shows as text on every page that
shows it, and a link that is not http(s) is dropped."""

from __future__ import annotations

import copy

from sqlalchemy import select

from crm.stakeholders.models import ElectedOffice
from tests.legislatures.represent_fake import MLA_CITADEL
from tests.security.page_check import read_page
from tests.security.stored_text import ATTRIBUTE, SCRIPT


def test_markup_in_represent_s_answer_is_shown_as_text(
    app, browser, session, represent, make_legislature_campaign, make_resident, make_user
):
    hostile = copy.deepcopy(MLA_CITADEL) | {
        "name": "Morgan " + SCRIPT,
        "party_name": ATTRIBUTE,
        "district_name": "Halifax " + SCRIPT + ATTRIBUTE,
        "email": SCRIPT + "@mla.example.org",
        "url": "javascript:alert(1)",
        "photo_url": "https://legislature.example.org/p.jpg" + ATTRIBUTE,
        "source_url": "data:text/html,<script>alert(1)</script>",
    }
    represent.postcodes["B3H4R2"]["representatives_centroid"] = [hostile]
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident("B3H 4R2").email)
    choose = browser.get(f"/campaigns/{campaign.slug}/write?postal_code=B3H 4R2").get_data(as_text=True)
    office = session.scalar(select(ElectedOffice).where(ElectedOffice.source == "represent"))
    assert office.profile_url is None and office.source_url is None and office.legislature_email is None
    write = browser.get(f"/campaigns/{campaign.slug}/write?recipient=district-{office.district_id}")
    browser.logout()
    browser.login(make_user(role="admin").email)
    person = browser.get(f"/directory/people/{office.person_id}").get_data(as_text=True)
    dashboard = browser.get(f"/dashboards/campaigns/{campaign.id}").get_data(as_text=True)
    for html in (choose, write.get_data(as_text=True), person, dashboard):
        assert "Morgan &lt;script&gt;" in html or "Halifax &lt;script&gt;" in html
        assert read_page(html).live == []
