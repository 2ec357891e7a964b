"""Object-level checks: a person reaches their own records, never someone else's by changing an id.

The route × role table (test_access_table.py) says who may open a kind of page; these tests say whose rows
they see on it. Each route a member may open with an id in its address is listed below with where its check
is tested, so a new one cannot arrive without a decision.
"""

from sqlalchemy import select

from crm.auth.access import ACCESS
from crm.campaigns.models import Letter
from tests.campaigns.conftest import STORY, district_id, send_letter
from tests.security.conftest import table_allows

MEMBER_ROUTES_WITH_AN_ID = {
    "campaigns.my_letter": "the author's only: test_a_member_cannot_read_another_members_letter, below",
    "campaigns.share": "the author's only: tests/campaigns/test_sharing.py",
    "interactions.detail": "a #mppchats report is its author's only, committee notes are staff's, and refusals are "
    "audited: tests/interactions/test_member_reports.py",
    "interactions.edit": "as interactions.detail: tests/interactions/test_member_reports.py",
    "programs.event": "a public page; the joining link only for the registered: tests/programs/test_registration.py",
    "programs.event_calendar": "404 unless this member registered; the link only when registered, not waitlisted: "
    "tests/programs/test_registration.py",
    "programs.register": "acts on the logged-in member's own registration; the id names the public event",
    "programs.cancel": "acts on the logged-in member's own registration; the id names the public event",
    "programs.resource_file": "program resources are for every member, not for one person",
    "proposals.public_version": "published versions only (a draft's number is a 404): "
    "tests/proposals/test_public_pages.py",
    "proposals.print_version": "as proposals.public_version",
    "proposals.download_pdf": "as proposals.public_version: tests/proposals/test_pdfs.py",
}


def test_every_member_route_with_an_id_says_whose_rows_it_shows(app):
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "<int" in rule.rule and table_allows(ACCESS[rule.endpoint], "member")
    }
    assert routes == set(MEMBER_ROUTES_WITH_AN_ID), (
        "a member route with an id needs an object-level check and an entry in MEMBER_ROUTES_WITH_AN_ID: "
        f"{sorted(routes ^ set(MEMBER_ROUTES_WITH_AN_ID))}"
    )


def test_a_member_cannot_read_another_members_letter(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    author = make_member(riding=1)
    browser.login(author.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    letter_id = session.scalar(select(Letter.id))
    browser.logout()
    other = make_member(riding=1)
    browser.login(other.email)
    assert browser.get(f"/my/letters/{letter_id}").status_code == 404
    assert STORY not in browser.get("/my/letters").get_data(as_text=True)
