"""The member's home page leads with the live campaigns they have not written in, each a click from the letter."""

from __future__ import annotations

import re
from datetime import date, timedelta

from crm.extensions import db
from tests.campaigns.conftest import district_id, send_letter


def _home(browser) -> str:
    response = browser.get("/home")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _set(app, campaign, **values) -> None:
    from crm.campaigns.models import Campaign

    with app.app_context():
        row = db.session.get(Campaign, campaign.id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()
        db.session.remove()


def test_the_home_page_leads_with_a_write_to_your_mpp_call_that_opens_the_letter(
    app, browser, make_campaign, make_member
):
    campaign = make_campaign(name="More PRA spots")
    member = make_member(riding=1)
    browser.login(member.email)
    page = _home(browser)
    call = page.index("Write to your MPP")
    assert page.index("More PRA spots") < call < page.index("Your representative") < page.index("Your profile")
    link = re.search(r'href="([^"]+)" aria-label="Write to your MPP: More PRA spots">Write to your MPP<', page).group(1)
    assert link == f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    letter = browser.get(link.replace("&amp;", "&"))
    assert letter.status_code == 200 and "Tell your MPP what you could do for patients." in letter.get_data(
        as_text=True
    )


def test_a_campaign_the_member_wrote_in_moves_below_as_thanks(app, browser, make_campaign, make_member):
    done = make_campaign(name="Already written")
    waiting = make_campaign(name="Still waiting")
    member = make_member(riding=1)
    browser.login(member.email)
    assert send_letter(browser, done, f"district-{district_id(app, 1)}").status_code in (200, 302)
    page = _home(browser)
    calls = page[: page.index("You have also written in")]
    assert "Still waiting" in calls and "Already written" not in calls
    assert page.count(">Write to your MPP<") == 1 and waiting.slug in calls
    assert "Already written" in page[page.index("You have also written in") :]


def test_draft_closed_and_future_campaigns_are_not_offered(app, browser, make_campaign, make_member):
    make_campaign(name="A draft", status="draft")
    make_campaign(name="A closed one", status="closed")
    ended = make_campaign(name="Ended yesterday")
    _set(app, ended, ends_on=date.today() - timedelta(days=1))
    later = make_campaign(name="Starts next week")
    _set(app, later, starts_on=date.today() + timedelta(days=7))
    browser.login(make_member(riding=1).email)
    page = _home(browser)
    assert "Write to your MPP" not in page
    assert not any(name in page for name in ("A draft", "A closed one", "Ended yesterday", "Starts next week"))


def test_a_member_without_a_riding_is_sent_to_find_their_representative(app, browser, make_campaign, make_member):
    campaign = make_campaign(name="Find them")
    browser.login(make_member(riding=None).email)
    page = _home(browser)
    label = "Find your representative and write: Find them"
    assert f'href="/campaigns/{campaign.slug}/write" aria-label="{label}">' in page


def test_the_home_page_runs_the_same_number_of_queries_however_many_campaigns(
    app, browser, make_campaign, make_member, count_queries
):
    member = make_member(riding=1)
    make_campaign(name="First")
    browser.login(member.email)
    _home(browser)  # warm: the first request loads what every later one reuses
    with count_queries() as few:
        _home(browser)
    for n in range(5):
        campaign = make_campaign(name=f"Campaign {n}", summary=f"Summary {n}")
        if n % 2:
            send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    with count_queries() as many:
        page = _home(browser)
    assert page.count(">Write to your MPP<") == 4 and page.count("Campaign ") >= 5
    assert many.count == few.count, many.statements


def test_staff_see_the_reference_counts_under_the_calls(app, browser, make_campaign, make_user):
    make_campaign(name="Lead's campaign")
    staff = make_user("committee")
    browser.login(staff.email)
    page = _home(browser)
    assert "Lead&#39;s campaign" in page and "Find your representative and write" in page
    assert page.index("Find your representative and write") < page.index("Reference data")


def test_a_summary_with_markup_is_shown_as_text(app, browser, make_campaign, make_member):
    make_campaign(name="Escaped", summary="<script>alert(1)</script>")
    browser.login(make_member(riding=1).email)
    page = _home(browser)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
