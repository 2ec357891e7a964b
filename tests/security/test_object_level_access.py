"""Object-level checks: a person reaches their own records, never someone else's by changing an id.

The route × role table (test_access_table.py) says who may open a kind of page; these tests say whose rows
they see on it. The #mppchats reports have theirs next to the report flow (tests/interactions/test_member_reports.py),
and the data download next to it (tests/campaigns/test_member_privacy.py).
"""
from sqlalchemy import select

from crm.campaigns.models import Letter
from tests.campaigns.conftest import STORY, district_id, send_letter


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
