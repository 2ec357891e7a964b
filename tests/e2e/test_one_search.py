"""The committee's daily tool in a real browser: "/" and "cpso" land on the College; a meeting cites a proposal
version picked by its name; the results page passes axe-core."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import login_as, screenshot

COLLEGE = "College of Physicians and Surgeons of Ontario (CPSO)"


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_slash_then_cpso_lands_on_the_college(page, live_server):
    login_as(page, live_server, "committee", email="searcher@example.org")
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search everything")
    expect(box).to_be_focused()
    box.fill("cpso")
    box.press("Enter")
    page.wait_for_url("**/search?q=cpso")
    headings = page.get_by_role("heading", level=2)
    expect(headings.first).to_have_text("Organizations")  # the acronym itself: the best match
    assert _serious(page) == []
    screenshot(page, "24-search-cpso")
    # From the search box, the arrow keys walk the results; Enter opens one.
    page.get_by_role("searchbox", name="Search everything").first.focus()
    page.locator("#search-page-q").press("ArrowDown")
    first = page.get_by_role("link", name=COLLEGE)
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="College of Physicians and Surgeons of Ontario", level=1)).to_be_visible()
    assert "/directory/organizations/" in page.url
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_bad_searches_get_a_clear_answer_in_the_browser(page, live_server):
    login_as(page, live_server, "committee", email="searcher@example.org")
    for q, answer in (("%_\\(", "punctuation alone matches nothing"), ("x" * 300, "Nothing matches")):
        page.goto(live_server.url + "/search?q=" + q.replace("%", "%25").replace("\\", "%5C"))
        expect(page.get_by_text(answer)).to_be_visible()
    assert _serious(page) == []


def _published_version(live_server) -> str:
    """Nova Scotia's proposal with version 1 published (made once per database); its title."""
    from crm.auth.models import User
    from crm.extensions import db
    from crm.proposals import services
    from crm.proposals.models import Proposal
    from crm.reference.models import Jurisdiction

    with live_server.app.app_context():
        nova_scotia = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "NS"))
        proposal = db.session.scalar(select(Proposal).where(Proposal.jurisdiction_id == nova_scotia.id))
        if proposal is None:
            author = db.session.scalar(select(User.id).where(User.email == "searcher@example.org"))
            proposal = services.create_proposal(
                db.session, jurisdiction_id=nova_scotia.id, title=None, author_id=author
            )
            version = proposal.versions[0]
            services.update_draft(db.session, version, body="Our asks for Nova Scotia.", change_summary="First.")
            services.publish_version(db.session, version)
            db.session.commit()
        title = proposal.title
        db.session.remove()
    return title


def test_a_meeting_cites_a_proposal_version_picked_by_name(page, live_server):
    login_as(page, live_server, "committee", email="searcher@example.org")
    title = _published_version(live_server)
    page.goto(live_server.url + "/interactions/new")
    page.get_by_label("Kind").select_option("meeting")
    page.get_by_label("Title").fill("Briefing on the Nova Scotia proposal")
    box = page.get_by_role("combobox", name="Participant 1", exact=True)
    box.fill("CPSO")
    page.get_by_role("option", name="College of Physicians and Surgeons of Ontario (CPSO) · ON").click()
    picker = page.get_by_label("Proposal version presented")
    option = picker.locator(f'optgroup[label="{title}"] option').first
    label = option.text_content()
    assert label.startswith("Version 1, published ")
    picker.select_option(label=label)
    page.get_by_role("button", name="Save interaction").click()
    expect(page.get_by_text("Interaction logged.")).to_be_visible()
    cited = page.get_by_role("link", name=f"{title}, version 1")
    expect(cited).to_be_visible()
    screenshot(page, "24-meeting-cites-version")
    cited.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
