"""Leads launch campaigns, write versioned templates, and watch them fill."""

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.campaigns.models import Campaign, LetterTemplate
from tests.campaigns.conftest import TEMPLATE_PAGE, district_id, letter_data, new_campaign, template_form


def test_members_and_committee_cannot_manage_campaigns(browser, make_user):
    for role in ("member", "committee"):
        user = make_user(role=role)
        browser.login(user.email)
        assert browser.get("/manage/campaigns").status_code == 403
        assert browser.get("/manage/campaigns/new").status_code == 403
        browser.logout()


def test_a_lead_launches_a_campaign_and_writes_its_letter(app, browser, make_user, session, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    campaign_id = new_campaign(browser)
    campaign = session.get(Campaign, campaign_id)
    assert campaign.slug == "skills-to-help" and campaign.hashtag == "#skillstohelp" and campaign.status == "draft"

    page = TEMPLATE_PAGE.format(campaign_id)
    response = browser.post(
        page,
        template_form(
            "Letter from {{ member_name }}",
            ("locked", "Dear {{ representative_name }},", 0),
            ("personal", "Your story", 50),
        ),
    )
    html = response.get_data(as_text=True)
    assert "Saved version 1" in html and "Dear Jane Example," in html  # rendered against the sample member
    assert session.scalar(select(func.count()).select_from(LetterTemplate)) == 1

    edit = f"/manage/campaigns/{campaign_id}/edit"
    form = {
        "name": "Skills to help",
        "slug": "skills-to-help",
        "hashtag": "#skillstohelp",
        "kind": "own_representative",
        "jurisdiction_id": str(campaign.jurisdiction_id),
        "mpp_address": "legislature",
        "status": "live",
    }
    assert browser.post(edit, form).status_code == 302
    session.expire_all()
    assert session.get(Campaign, campaign_id).status == "live"


def test_a_campaign_cannot_go_live_without_a_template(browser, make_user, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    response = browser.post(
        "/manage/campaigns/new",
        {
            "name": "Too early",
            "kind": "own_representative",
            "jurisdiction_id": _ontario(browser),
            "mpp_address": "legislature",
            "status": "live",
        },
    )
    assert response.status_code == 200
    assert "Write the letter template before the campaign goes live" in response.get_data(as_text=True)


def _ontario(browser) -> str:
    import re

    page = browser.get("/manage/campaigns/new").get_data(as_text=True)
    return re.search(r'<option selected value="(\d+)">Ontario', page).group(1)


def test_template_versions_are_kept_and_a_letter_records_its_version(app, browser, make_campaign, make_member, session):
    from crm.campaigns.models import Letter

    campaign = make_campaign()
    browser.login(campaign.lead.email)
    response = browser.post(
        TEMPLATE_PAGE.format(campaign.id),
        template_form(
            "Second {{ hashtag }}", ("locked", "Dear {{ representative_name }},", 0), ("personal", "Story", 20)
        ),
    )
    assert "Saved version 2" in response.get_data(as_text=True)
    browser.logout()
    versions = session.scalars(
        select(LetterTemplate.version).where(LetterTemplate.campaign_id == campaign.id).order_by(LetterTemplate.version)
    ).all()
    assert versions == [1, 2]
    member = make_member(riding=1)
    browser.login(member.email)
    url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    browser.post(url, {"block-2": "I trained abroad and I am ready to work here.", "send": "Send"}, page=url)
    letter = session.scalar(select(Letter))
    assert session.get(LetterTemplate, letter.template_id).version == 2


def test_the_lead_watches_the_campaign_fill(app, browser, make_campaign, make_member, session):
    campaign = make_campaign(goal_letters=100)
    for riding in (1, 1, 2):
        member = make_member(riding=riding)
        browser.login(member.email)
        url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, riding)}"
        assert browser.post(url, letter_data(), page=url).status_code == 302
        browser.logout()
    browser.login(campaign.lead.email)
    stats = browser.get(f"/manage/campaigns/{campaign.id}/stats.json").json
    assert stats["letters"] == 3 and stats["ridings"] == 2 and stats["seats"] == 124
    assert {row["party"]: row["letters"] for row in stats["by_party"]} == {
        "Ontario Liberal Party": 2,
        "Progressive Conservative Party of Ontario": 1,
    }
    html = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "ridings reached of 124" in html and "Rob Cerjanec" in html
    assert "I trained in Cairo" not in html  # bodies stay closed until the lead opens one


def test_opening_a_letter_is_audited(app, browser, make_campaign, make_member, session):
    from crm.campaigns.models import Letter

    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    browser.post(url, letter_data(), page=url)
    browser.logout()
    letter_id = session.scalar(select(Letter.id))
    browser.login(campaign.lead.email)
    html = browser.get(f"/manage/campaigns/{campaign.id}/letters/{letter_id}").get_data(as_text=True)
    assert "I trained in Cairo" in html
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "view_letter")) == 1
    assert browser.get(f"/manage/campaigns/{campaign.id + 1}/letters/{letter_id}").status_code == 404


def test_the_latest_letters_list_uses_the_same_number_of_queries_for_more_letters(
    app, browser, make_campaign, make_member, count_queries
):
    campaign = make_campaign()

    def send(riding):
        member = make_member(riding=riding)
        browser.login(member.email)
        url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, riding)}"
        browser.post(url, letter_data(), page=url)
        browser.logout()

    def queries():
        browser.login(campaign.lead.email)
        browser.get(f"/manage/campaigns/{campaign.id}")
        with count_queries() as counter:
            browser.get(f"/manage/campaigns/{campaign.id}")
        browser.logout()
        return counter.count

    send(1)
    few = queries()
    for riding in (2, 3, 4):
        send(riding)
    assert queries() == few


def test_fixed_targets_are_managed_by_the_lead(app, browser, make_user, session, seeded):
    from crm.campaigns.models import CampaignTarget
    from crm.stakeholders.models import Person

    lead = make_user(role="lead")
    browser.login(lead.email)
    campaign_id = new_campaign(browser, kind="fixed_targets", name="Minister letter")
    person_id = session.scalar(select(Person.id).where(Person.full_name == "Bill Rosenberg"))
    page = f"/manage/campaigns/{campaign_id}/targets"
    # Chosen in the picker (a hidden reference), or typed without JavaScript: both name the same person.
    assert (
        browser.post(page, {"person": f"person:{person_id}", "person_name": "Bill Rosenberg — MPP"}).status_code == 302
    )
    assert "bill.rosenberg@pc.ola.org" in browser.get(page).get_data(as_text=True)
    again = browser.post(page, {"person": "", "person_name": "bill rosenberg"})
    assert "already a target" in again.get_data(as_text=True)
    nobody = browser.post(page, {"person": "", "person_name": "Nobody Atall"}).get_data(as_text=True)
    assert "No person is called “Nobody Atall”" in nobody
    target_id = session.scalar(select(CampaignTarget.id))
    browser.post(f"{page}/{target_id}/remove", {}, page=page)
    assert session.scalar(select(func.count()).select_from(CampaignTarget)) == 0


def test_a_lead_adds_a_block_and_removes_one_by_emptying_it(browser, make_user, session, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    campaign_id = new_campaign(browser)
    page = TEMPLATE_PAGE.format(campaign_id)
    html = browser.post(page, {**template_form("", ("locked", "First", 0)), "add_block": "Add a block"}).get_data(
        as_text=True
    )
    assert 'name="blocks-1-body"' in html
    response = browser.post(
        page, template_form("Hi", ("locked", "First", 0), ("personal", "", 0), ("editable", "Third", 0))
    )
    assert "Saved version 1" in response.get_data(as_text=True)
    template = session.scalar(select(LetterTemplate))
    assert [block.kind for block in template.blocks] == ["locked", "editable"]


def test_the_campaign_lists_show_live_campaigns_first(browser, make_user, make_campaign):
    closed = make_campaign(status="closed", name="An old closed one")
    live = make_campaign(status="live", name="The live one")
    draft = make_campaign(status="draft", name="A newer draft")
    newest_closed = make_campaign(status="closed", name="A newest closed one")
    make_user(role="lead", email="orderly-lead@example.org")
    browser.login("orderly-lead@example.org")
    page = browser.get("/manage/campaigns").get_data(as_text=True)
    names = ["The live one", "A newer draft", "A newest closed one", "An old closed one"]
    assert [page.index(name) for name in names] == sorted(page.index(name) for name in names)
    public = browser.get("/campaigns/").get_data(as_text=True)
    assert public.index("The live one") < public.index("A newest closed one") < public.index("An old closed one")
    assert "A newer draft" not in public and {closed.id, live.id, draft.id, newest_closed.id}
