"""In real Chromium: a lead's mailing turns a member into a letter without a detour by /home, and a visitor's
letter written before joining reaches the MPP's mail once they confirm. Every URL the member's browser asks for
is kept, redirects included, so a single visit to /home fails the test."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import login_as, screenshot

STORY = "I was a paediatrician for eleven years in Lagos; I could staff a clinic in {place} next month."


def _live_campaign(app, name: str, hashtag: str, subject: str) -> tuple[int, str]:
    """A live own-representative campaign in Ontario with a personal block labelled "Your story"."""
    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name=name,
            hashtag=hashtag,
            kind="own_representative",
            jurisdiction_id=ontario,
            summary="Ask your MPP to fund more residency positions for internationally trained physicians.",
        )
        services.save_template(
            db.session,
            campaign,
            subject=subject,
            actor_id=None,
            blocks=[
                services.BlockInput("locked", "Dear {{ representative_name }},"),
                services.BlockInput("personal", "Your story", label="Your story", min_length=40),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        db.session.commit()
        found = campaign.id, campaign.slug
        db.session.remove()
    return found


def _riding_with_an_mpp(app, not_named: str = "Ajax") -> tuple[int, str, str, str]:
    """(district id, "number name" as the segment page lists it, district name, MPP's name) for a seat whose MPP
    has an address; not Ajax, where the other browser tests' members live."""
    from crm.extensions import db
    from crm.reference.models import ElectoralDistrict, Jurisdiction
    from crm.stakeholders.models import ElectedOffice, Person

    with app.app_context():
        rows = db.session.execute(
            select(ElectoralDistrict, ElectedOffice, Person)
            .join(Jurisdiction, Jurisdiction.id == ElectoralDistrict.jurisdiction_id)
            .join(ElectedOffice, ElectedOffice.district_id == ElectoralDistrict.id)
            .join(Person, Person.id == ElectedOffice.person_id)
            .where(Jurisdiction.code == "ON", ElectedOffice.current.is_(True), ElectoralDistrict.name != not_named)
            .order_by(ElectoralDistrict.number)
        ).all()
        district, _, person = next(row for row in rows if row[1].mail_address)
        found = district.id, f"{district.number} {district.name}", district.name, person.full_name
        db.session.remove()
    return found


def _reachable_member(app, email: str, name: str, district_id: int) -> None:
    """A confirmed member in `district_id` who said yes to ITPO email: one a segment reaches."""
    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.members.models import ConsentRecord, MemberProfile
    from crm.members.services import EMAIL_PURPOSE

    with app.app_context():
        user = create_user(db.session, email=email, password=PASSWORD, role="member", confirmed=True, name=name)
        db.session.add(MemberProfile(user_id=user.id, postal_code="M5V 1A1", province="ON", district_id=district_id))
        db.session.add(
            ConsentRecord(
                user_id=user.id,
                purpose=EMAIL_PURPOSE,
                granted=True,
                wording="Yes",
                wording_version="1",
                source="join_form",
            )
        )
        db.session.commit()
        db.session.remove()


def _open_mail(page, base: str, to: str, subject_has: str) -> None:
    """Open, in the development mailbox, the newest message to `to` whose subject contains `subject_has` (the worker
    writes it within a second or two; the shared mailbox holds other tests' mail too)."""
    row = page.get_by_role("row").filter(has_text=to).filter(has_text=subject_has)
    for _ in range(75):
        page.goto(base + "/dev/mailbox/")
        if row.count():
            break
        page.wait_for_timeout(200)
    row.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject_has)


def _keep_navigations(page) -> list[str]:
    """Every URL the page's main frame requests, each redirect hop included."""
    seen: list[str] = []
    page.on(
        "request", lambda r: seen.append(r.url) if r.is_navigation_request() and r.frame == page.main_frame else None
    )
    return seen


def test_a_member_goes_from_a_mailing_to_a_sent_letter_without_seeing_home(page, phone, live_server):
    app, base = live_server.app, live_server.url
    campaign_id, slug = _live_campaign(
        app, "Residency positions now", "#mppchats", "A constituent in {{ riding_name }} asks for residency spots"
    )
    district_id, riding_option, riding, mpp = _riding_with_an_mpp(app)
    member_email = "mobilised.member@example.org"
    _reachable_member(app, member_email, "Dr. Amara Okafor", district_id)

    # The lead builds a segment: this riding, members who have not written in the campaign yet.
    login_as(page, live_server, "lead", email="e2e-mobilise-lead@example.org")
    page.goto(base + "/manage/segments")
    page.get_by_label("Name").fill(f"Not yet written: {riding}")
    page.get_by_label("Ridings").select_option(label=riding_option)
    page.get_by_label("Has not written a letter in").select_option(label="Residency positions now")
    page.get_by_role("button", name="Count").click()
    expect(page.locator("#segment-count")).to_have_text(re.compile(r"reach fewer than 5 members today"))
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text(f"Segment “Not yet written: {riding}” saved")).to_be_visible()
    screenshot(page, "mobilise-01-segment")

    # ... composes the mailing for the campaign, previews it as the member, and sends it now.
    page.goto(f"{base}/manage/campaigns/{campaign_id}/mailings")
    page.get_by_label("Send to (segment)").select_option(label=f"Not yet written: {riding}")
    page.get_by_label("Subject", exact=True).fill("{{ member_name }}, your MPP needs to hear from you")
    page.get_by_label("Text", exact=True).fill(
        "Dear {{ member_name }},\n\n{{ representative_name }} represents {{ member_riding }}. One letter from you "
        "counts. Write it here (your link is personal, for 14 days):\n{{ action_link }}\n\n{{ hashtag }}"
    )
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_text("As Dr. Amara Okafor")).to_be_visible()
    expect(page.locator("#mailing-count")).to_contain_text("fewer than 5 members")
    screenshot(page, "mobilise-02-mailing-preview")
    page.get_by_role("button", name="Send mailing").click()
    expect(page.get_by_text("goes out now")).to_be_visible()

    # The member, logged out on their phone, opens the mail and follows their link.
    member = phone
    visited = _keep_navigations(member)
    errors: list[str] = []
    member.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    logins: list[str] = []
    member.on("request", lambda r: logins.append(r.url) if r.method == "POST" and "/login" in r.url else None)
    _open_mail(member, base, member_email, "your MPP needs to hear from you")
    expect(member.locator(".mail-body")).to_contain_text(f"{mpp} represents {riding}")
    screenshot(member, "mobilise-03-mail-phone")
    member.locator('.mail-body a[href*="/act/"]').click()

    # Asked for their password once: the address is already filled in.
    expect(member.get_by_label("Email", exact=True)).to_have_value(member_email)
    member.get_by_label("Password", exact=True).fill(PASSWORD)
    member.get_by_role("button", name="Log in").click()

    expect(member.get_by_text(f"your letter to {mpp}")).to_be_visible()  # the representative already chosen
    member.get_by_label("Your story").fill(STORY.format(place=riding))
    member.get_by_role("button", name="Preview").click()
    expect(member.locator("#letter-preview")).to_contain_text("could staff a clinic")
    screenshot(member, "mobilise-04-letter-phone")
    member.get_by_role("button", name="Send my letter").click()
    expect(member.get_by_text(f"Your letter to {mpp} is on its way")).to_be_visible()
    screenshot(member, "mobilise-05-sent-phone")
    width = member.evaluate("document.documentElement.scrollWidth")

    paths = [urlsplit(url).path for url in visited if "/dev/mailbox/" not in url]
    write = f"/campaigns/{slug}/write"
    assert "/home" not in paths, visited
    assert paths[0].startswith("/act/") and paths[1:3] == ["/login", "/login"], visited  # the link; the password
    assert set(paths[3:-1]) == {write} and paths[-1].startswith("/my/letters/"), visited  # the letter, then sent
    first_letter = next(url for url in visited if urlsplit(url).path == write)
    assert urlsplit(first_letter).query == f"recipient=district-{district_id}", visited  # the MPP already chosen
    assert [urlsplit(url).path for url in logins] == ["/login"], logins  # the password, once; no second step
    assert width <= 390, f"the letter page scrolls sideways on a phone ({width}px)"
    assert not [e for e in page.console_errors + errors if "Content Security Policy" in e], page.console_errors + errors


def test_a_visitor_writes_first_joins_confirms_and_the_letter_reaches_the_mpp(page, live_server):
    app, base = live_server.app, live_server.url
    _, slug = _live_campaign(
        app, "Practice-ready now", "#skillstohelp", "Write-first letter from {{ riding_name }} {{ hashtag }}"
    )
    visited = _keep_navigations(page)

    page.goto(f"{base}/campaigns/{slug}")
    expect(page.get_by_role("heading", name="Practice-ready now")).to_be_visible()
    page.get_by_role("link", name="Write your letter now").click()  # no account needed to start
    page.get_by_label("Your postal code").fill("L1S 2B3")
    page.get_by_role("button", name="Find my representative").click()
    page.get_by_role("link", name="Write to Rob Cerjanec").first.click()
    expect(page.get_by_text("You can write your letter now")).to_be_visible()
    page.get_by_label("Your story").fill(STORY.format(place="Ajax"))
    screenshot(page, "mobilise-06-visitor-writes")
    page.get_by_role("button", name="Send my letter").click()
    expect(page.get_by_text("Your letter to Rob Cerjanec is saved")).to_be_visible()
    screenshot(page, "mobilise-07-letter-saved")

    page.get_by_role("link", name="Join ITPO and send").click()
    page.get_by_label("Full name").fill("Dr. Chidi Eze")
    page.get_by_label("Email", exact=True).fill("write.first@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Postal code").fill("L1S 2B3")
    page.get_by_role("button", name="Join ITPO").click()
    expect(page.get_by_text("We have sent you an email")).to_be_visible()

    _open_mail(page, base, "write.first@example.org", "Confirm your email")
    expect(page.locator(".mail-body")).to_contain_text("also sends your letter to Rob Cerjanec")
    page.locator('.mail-body a[href*="/confirm/"]').first.click()
    expect(page.get_by_text("Your letter to Rob Cerjanec is on its way")).to_be_visible()
    screenshot(page, "mobilise-08-confirmed")

    mpp_address = _address_of(app, "Rob Cerjanec")
    _open_mail(page, base, mpp_address, "Write-first letter from Ajax")
    expect(page.locator(".mail-body")).to_contain_text("could staff a clinic in Ajax next month")
    expect(page.locator(".mail-body")).to_contain_text("Dr. Chidi Eze")
    screenshot(page, "mobilise-09-letter-in-mpp-mail")
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
    assert "/home" not in [urlsplit(url).path for url in visited], visited


def _address_of(app, full_name: str) -> str:
    from crm.extensions import db
    from crm.stakeholders.models import ElectedOffice, Person

    with app.app_context():
        office = db.session.scalar(
            select(ElectedOffice)
            .join(Person, Person.id == ElectedOffice.person_id)
            .where(Person.full_name == full_name, ElectedOffice.current.is_(True))
        )
        address = office.mail_address
        db.session.remove()
    return address


def test_the_home_page_leads_with_the_call_to_write_on_desktop_and_phone(page, phone, live_server):
    app, base = live_server.app, live_server.url
    _, slug = _live_campaign(app, "Clinical assistant roles", "#skillstohelp", "Clinical assistants {{ hashtag }}")
    district_id, _, riding, _ = _riding_with_an_mpp(app)
    _reachable_member(app, "home.member@example.org", "Dr. Lina Haddad", district_id)
    for browser_page, name, width in ((page, "desktop", 1280), (phone, "phone", 390)):
        browser_page.goto(base + "/login")
        browser_page.get_by_label("Email", exact=True).fill("home.member@example.org")
        browser_page.get_by_label("Password", exact=True).fill(PASSWORD)
        browser_page.get_by_role("button", name="Log in").click()
        browser_page.wait_for_url("**/home")
        first_heading = browser_page.get_by_role("heading", level=2).first
        expect(first_heading).to_have_text(re.compile(r"need(s)? your letter"))
        call = browser_page.get_by_role("link", name="Write to your MPP: Clinical assistant roles")
        expect(call).to_be_visible()
        screenshot(browser_page, f"mobilise-10-home-{name}")
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    call.click()
    expect(phone.get_by_text("Step 2 of 2: your letter to")).to_be_visible()
    assert urlsplit(phone.url).path == f"/campaigns/{slug}/write" and f"district-{district_id}" in phone.url
