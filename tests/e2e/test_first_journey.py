"""A new person joins, confirms from the development mailbox, logs in and sees their home page."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def test_a_new_person_joins_confirms_logs_in_and_sees_home(page, live_server):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_role("link", name="Join ITPO — it is free").click()
    expect(page.get_by_role("heading", name="Join ITPO")).to_be_visible()

    page.get_by_label("Full name").fill("Priya Raman")
    page.get_by_label("Email", exact=True).fill("priya@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Postal code").fill("k1a0b1")
    page.get_by_label("Where are you on the path to practice?").select_option("carms")
    page.get_by_label("Country of medical training").fill("India")
    screenshot(page, "01-join-form")
    page.get_by_role("button", name="Join ITPO").click()
    expect(page.get_by_text("We have sent you an email")).to_be_visible()

    # The worker thread delivers the confirmation mail to the development mailbox.
    # The shared live server's mailbox holds other tests' mail too: wait for this person's.
    mine = page.get_by_role("row").filter(has_text="priya@example.org")
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.count():
            break
        page.wait_for_timeout(200)
    mine.first.get_by_role("link", name="Confirm your email for ITPO").click()
    screenshot(page, "02-confirmation-mail")
    page.locator('a[href*="/confirm/"]').first.click()
    expect(page.get_by_text("your email is confirmed")).to_be_visible()

    page.get_by_label("Email", exact=True).fill("priya@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Priya Raman")).to_be_visible()
    expect(page.get_by_role("heading", name="Your representative")).to_be_visible()
    expect(page.get_by_text("Ottawa")).to_be_visible()
    path = screenshot(page, "03-home")
    assert path.exists() and path.stat().st_size > 10_000
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_the_menu_works_by_keyboard_on_a_phone(phone, live_server):
    phone.goto(live_server.url + "/")
    toggle = phone.get_by_role("button", name="Show menu")
    toggle.focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    screenshot(phone, "04-phone-menu")
