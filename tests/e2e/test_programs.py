"""A member registers for a Cracking the CaRMS webinar; when it is full, a cancellation moves the waitlist up."""

from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def _setup(live_server, title, capacity, emails):
    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.programs.calendar import utc_to_toronto
    from crm.programs.services import create_event, program_by_slug

    with live_server.app.app_context():
        for email in emails:
            create_user(
                db.session,
                email=email,
                password=PASSWORD,
                role="member",
                confirmed=True,
                name=email.split("@")[0].title(),
            )
        starts = utc_to_toronto(datetime.utcnow() + timedelta(days=10)).replace(tzinfo=None, second=0, microsecond=0)
        event = create_event(
            db.session,
            program_id=program_by_slug(db.session, "cracking").id,
            title=title,
            description="Matched residents share their interview tips.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            capacity=capacity,
            status="open",
            join_url="https://zoom.example/j/987",
        )
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def _login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def test_a_member_finds_a_cracking_the_carms_webinar_and_registers(page, live_server):
    base = live_server.url
    _setup(live_server, "Cracking the CaRMS: interviews", 20, ["amal@example.org"])
    _login(page, base, "amal@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="Cracking the CaRMS: interviews").click()
    expect(page.get_by_text("zoom.example/j/987")).to_have_count(0)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="https://zoom.example/j/987")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
    screenshot(page, "10-registered")
    page.goto(base + "/home")
    expect(page.get_by_role("heading", name="My program events")).to_be_visible()
    expect(page.get_by_role("link", name="Cracking the CaRMS: interviews")).to_be_visible()
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_the_waitlist_moves_up_when_a_registered_member_cancels(page, chromium, live_server):
    base = live_server.url
    event_id = _setup(live_server, "Cracking the CaRMS: one seat", 1, ["first@example.org", "second@example.org"])
    event_url = f"{base}/programs/events/{event_id}"
    _login(page, base, "first@example.org")
    page.goto(event_url)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered.", exact=True)).to_be_visible()

    other_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    other = other_context.new_page()
    try:
        _login(other, base, "second@example.org")
        other.goto(event_url)
        expect(other.get_by_text("This event is full.")).to_be_visible()
        other.get_by_role("button", name="Join the waitlist").click()
        expect(other.get_by_text("You are on the waitlist", exact=True)).to_be_visible()
        expect(other.get_by_text("zoom.example/j/987")).to_have_count(0)
        screenshot(other, "11-waitlisted")

        page.get_by_role("button", name="Cancel my registration").click()
        expect(page.get_by_text("Your registration is cancelled.")).to_be_visible()

        other.reload()
        expect(other.get_by_text("You are registered.", exact=True)).to_be_visible()
        expect(other.get_by_role("link", name="https://zoom.example/j/987")).to_be_visible()
        screenshot(other, "12-moved-up")
    finally:
        other_context.close()
