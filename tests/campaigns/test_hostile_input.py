"""Nothing a member or lead types into a real campaign's pages produces a 500."""
from sqlalchemy import func, select

from crm.campaigns.models import Letter
from tests.campaigns.conftest import district_id

NASTY = ["", " ", "a" * 10_000, "🙂" * 300, "' OR 1=1 --", "<script>alert(1)</script>", "{{ 7*7 }}", "-1",
         "99999999999999999999", "district-99999999999999999999", "person-²", "\r\nBcc: x@example.org", "１２３",
         "district-", "district-1x"]


def test_the_letter_pages_survive_hostile_values(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    token = browser.token("/my/letters")
    url = f"/campaigns/{campaign.slug}/write"
    for value in NASTY:
        assert browser.get(url, query_string={"recipient": value, "postal_code": value}).status_code < 500, value
        data = {"csrf_token": token, "recipient": value, "template_id": value, "block-2": value, "block-3": value,
                "preview": "Preview"}
        assert browser.client.post(url, data=data).status_code < 500, value
        data = dict(data, recipient=f"district-{district_id(app, 1)}", send="Send")
        data.pop("preview")
        assert browser.client.post(url, data=data).status_code < 500, value
    assert session.scalar(select(func.count()).select_from(Letter)) <= 1


def test_the_lead_pages_survive_hostile_values(app, browser, make_campaign):
    campaign = make_campaign()
    browser.login(campaign.lead.email)
    token = browser.token("/manage/campaigns/new")
    fields = ("name", "slug", "hashtag", "summary", "kind", "jurisdiction_id", "mpp_address", "goal_letters",
              "goal_ridings", "starts_on", "ends_on", "status", "proposal_version_id", "subject", "person_id", "email",
              "blocks-0-kind", "blocks-0-body", "blocks-0-label", "blocks-0-min_length")
    for value in NASTY:
        data = {name: value for name in fields} | {"csrf_token": token}
        for page in ("/manage/campaigns/new", f"/manage/campaigns/{campaign.id}/edit",
                     f"/manage/campaigns/{campaign.id}/template", f"/manage/campaigns/{campaign.id}/targets"):
            assert browser.client.post(page, data=data).status_code < 500, (page, value)
        assert browser.get(f"/manage/campaigns/{campaign.id}", query_string={"page": value}).status_code < 500
