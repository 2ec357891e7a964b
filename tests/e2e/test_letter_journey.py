"""On a phone: from the campaign link to a sent letter, joining on the way, in under two minutes."""

import time

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def _live_campaign(app) -> str:
    from sqlalchemy import select

    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name="Skills to help",
            hashtag="#skillstohelp",
            kind="own_representative",
            jurisdiction_id=ontario,
            summary="Tell your MPP what you could do for patients if you were licensed.",
        )
        services.save_template(
            db.session,
            campaign,
            subject="A physician in {{ riding_name }} {{ hashtag }}",
            actor_id=None,
            blocks=[
                services.BlockInput(
                    "locked",
                    "Dear {{ representative_name }},\n\nI am {{ member_name }}, an "
                    "internationally trained physician in {{ member_riding }}.",
                ),
                services.BlockInput("editable", "Please fund more Practice-Ready Assessment spots."),
                services.BlockInput("personal", "Your story", label="Your story", min_length=40),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        db.session.commit()
        slug = campaign.slug
        db.session.remove()
    return slug


def test_a_new_member_goes_from_the_campaign_link_to_a_sent_letter_on_a_phone(phone, live_server):
    base = live_server.url
    slug = _live_campaign(live_server.app)
    started = time.monotonic()
    page = phone
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{base}/campaigns/{slug}")
    expect(page.get_by_role("heading", name="Skills to help")).to_be_visible()
    screenshot(page, "letter-01-campaign-page")
    page.get_by_role("link", name="Join ITPO (free) and write your letter").click()

    page.get_by_label("Full name").fill("Dr. Samira Haddad")
    page.get_by_label("Email", exact=True).fill("samira@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Postal code").fill("L1S 2B3")
    page.get_by_role("button", name="Join ITPO").click()
    expect(page.get_by_text("We have sent you an email")).to_be_visible()

    # The shared live server's mailbox holds other tests' mail too: wait for this person's.
    mine = page.get_by_role("row").filter(has_text="samira@example.org")
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.count():
            break
        page.wait_for_timeout(200)
    mine.first.get_by_role("link", name="Confirm your email for ITPO").click()
    page.locator('a[href*="/confirm/"]').first.click()
    expect(page.get_by_text("your email is confirmed")).to_be_visible()

    page.get_by_label("Email", exact=True).fill("samira@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("Step 1 of 2")).to_be_visible()  # back at the letter after joining
    screenshot(page, "letter-02-find-representative")
    page.get_by_role("link", name="Write to Rob Cerjanec").click()

    expect(page.get_by_text("Dear Rob Cerjanec,")).to_be_visible()
    story = page.get_by_label("Your story")
    story.fill("I practised family medicine for nine years in Beirut and could see patients in Ajax tomorrow.")
    expect(page.get_by_text("characters: enough")).to_be_visible()  # our own JS runs under the CSP
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Preview: exactly as it will be sent")).to_be_visible()
    expect(page.locator("#letter-preview")).to_contain_text("could see patients in Ajax tomorrow")
    screenshot(page, "letter-03-preview")
    page.get_by_role("button", name="Send my letter").click()

    expect(page.get_by_text("Your letter to Rob Cerjanec is on its way")).to_be_visible()
    screenshot(page, "letter-04-sent")
    assert time.monotonic() - started < 120
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    assert not [e for e in errors if "Content Security Policy" in e], errors

    page.goto(base + "/my/letters")
    expect(page.locator(".letter-status").first).to_be_visible()
