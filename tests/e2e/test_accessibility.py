"""axe-core in real Chromium: no serious or critical violations on the pages people use."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import ON_RIDING, login_as, screenshot

PUBLIC_PAGES = ["/", "/join", "/login", "/password/forgot", "/confirm"]
MEMBER_PAGES = ["/home", "/password/change", "/account/two-step"]
ADMIN_PAGES = ["/admin/users", "/admin/invitations"]


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _check(page, base, paths):
    problems = {}
    for path in paths:
        page.goto(base + path)
        found = _serious(page)
        if found:
            problems[path] = found
    return problems


def test_public_pages_have_no_serious_accessibility_violations(page, live_server):
    assert _check(page, live_server.url, PUBLIC_PAGES) == {}


def test_member_pages_have_no_serious_accessibility_violations(page, live_server):
    login_as(page, live_server, "member")
    assert _check(page, live_server.url, MEMBER_PAGES) == {}


def test_admin_pages_have_no_serious_accessibility_violations(page, live_server):
    login_as(page, live_server, "admin")
    assert _check(page, live_server.url, ADMIN_PAGES) == {}
    screenshot(page, "a11y-admin-users")


def test_join_form_errors_are_announced_and_tied_to_their_fields(page, live_server):
    page.goto(live_server.url + "/join")
    page.get_by_role("button", name="Join ITPO").click()  # browser validation would stop an empty form
    page.evaluate("document.querySelector('form').noValidate = true")
    page.get_by_role("button", name="Join ITPO").click()
    postal = page.get_by_label("Postal code")
    assert postal.get_attribute("aria-invalid") == "true"
    described = postal.get_attribute("aria-describedby")
    assert "postal_code-error" in described
    assert _serious(page) == []


@pytest.mark.parametrize("path", ["/", "/join", "/login"])
def test_pages_work_by_keyboard_alone(page, live_server, path):
    """Tab reaches the skip link first, and every interactive element can take focus in order."""
    page.goto(live_server.url + path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.tagName"))
    assert {"A"} <= seen


def test_keyboard_focus_is_plainly_visible_on_the_dark_menu(page, live_server):
    """Bootstrap's focus shadow on the dark navigation bar is faint: links there get a solid outline."""
    page.goto(live_server.url + "/")
    link = page.locator(".navbar-dark .nav-link").first
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
    style = link.evaluate("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }")
    assert style[0] == "solid" and float(style[1].rstrip("px")) >= 2, style


def _campaign_with_member(live_server) -> tuple[str, str]:
    """A live campaign (unique slug) and a member with a riding, in the live server's database."""
    from sqlalchemy import select

    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction

    app = live_server.app
    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name="Accessible asks",
            slug="accessible-asks",
            hashtag="#mppchats",
            kind="own_representative",
            jurisdiction_id=ontario,
            summary="Write to your MPP about PRA spots.",
        )
        services.save_template(
            db.session,
            campaign,
            subject="From {{ member_name }}",
            actor_id=None,
            blocks=[
                services.BlockInput("locked", "Dear {{ representative_name }},"),
                services.BlockInput("personal", "Your story", label="Your story", min_length=20),
            ],
        )
        campaign.status = "live"
        db.session.commit()
        slug = campaign.slug
        db.session.remove()
    return slug, "accessible-member@example.org"


def test_campaign_letter_directory_interaction_and_dashboard_pages_have_no_serious_violations(page, live_server):
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.extensions import db
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict

    slug, email = _campaign_with_member(live_server)
    problems = _check(page, live_server.url, [f"/campaigns/{slug}"])
    login_as(page, live_server, "member", email=email)
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        district = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == 1, ON_RIDING))
        db.session.add(MemberProfile(user_id=user.id, postal_code="L1S 1A1", province="ON", district_id=district))
        db.session.commit()
        db.session.remove()
    problems.update(_check(page, live_server.url, [f"/campaigns/{slug}/write", "/my/letters"]))
    page.context.clear_cookies()
    login_as(page, live_server, "admin", email="a11y-staff@example.org")
    problems.update(
        _check(
            page,
            live_server.url,
            [
                "/directory/people",
                "/directory/organizations",
                "/interactions/",
                "/interactions/new",
                "/dashboards/",
                "/dashboards/members",
                "/dashboards/committee",
                "/committee/proposals",
                "/asks",
            ],
        )
    )
    assert problems == {}
