"""On a phone: a member sends their letter, lands on the share page, invites a colleague, and finds the copy of
their letter in the development mailbox."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import ON_RIDING, screenshot

EMAIL = "share-e2e@example.org"
STORY = "I practised paediatrics for eleven years in Tehran and could run a clinic in Ajax next month."


def _campaign_and_member(app) -> tuple[str, int]:
    """A live campaign and a confirmed member in riding 1 (Ajax); returns the slug and the riding's id."""
    from sqlalchemy import select

    from crm.auth.services import create_user
    from crm.campaigns import services
    from crm.extensions import db
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict, Jurisdiction

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name="Share the skills",
            hashtag="#skillstohelp",
            kind="own_representative",
            jurisdiction_id=ontario,
            summary="Tell your MPP what you could do for patients if you were licensed.",
        )
        services.save_template(
            db.session,
            campaign,
            subject="A physician in {{ riding_name }}",
            actor_id=None,
            blocks=[
                services.BlockInput("locked", "Dear {{ representative_name }},"),
                services.BlockInput("personal", "Your story", label="Your story", min_length=40),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        riding = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == 1, ON_RIDING))
        user = create_user(
            db.session, email=EMAIL, password=PASSWORD, role="member", confirmed=True, name="Dr. Leila Karimi"
        )
        db.session.add(MemberProfile(user_id=user.id, postal_code="L1S 2B3", province="ON", district_id=riding))
        db.session.commit()
        slug = campaign.slug
        db.session.remove()
    return slug, riding


def test_a_member_sends_a_letter_shares_it_and_finds_the_copy_in_the_mailbox(phone, live_server):
    base = live_server.url
    slug, riding = _campaign_and_member(live_server.app)
    page = phone
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(base + "/login")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/campaigns/{slug}/write?recipient=district-{riding}")
    page.get_by_label("Your story").fill(STORY)
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send my letter").click()

    expect(page.get_by_text("Your letter to Rob Cerjanec is on its way")).to_be_visible()
    expect(page.get_by_role("heading", name="Ask others to write too")).to_be_visible()
    for label in ("Email", "WhatsApp", "X", "Facebook", "LinkedIn"):
        link = page.get_by_role("link", name=f"Share by {label}", exact=True)
        expect(link).to_be_visible()
        assert "skillstohelp" in link.get_attribute("href") and "ref" in link.get_attribute("href")
    link_box = page.get_by_label("Or copy your link to the campaign")
    assert f"/campaigns/{slug}?ref=" in link_box.input_value()
    screenshot(page, "share-01-share-page-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the share page scrolls sideways on a phone ({width}px)"

    page.get_by_label("Your colleagues' email addresses").fill("colleague-e2e@example.org")
    page.get_by_label("A short note from you (optional)").fill("This took me five minutes. Please write too.")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Sent: 1 invitation")).to_be_visible()
    screenshot(page, "share-02-invited")
    assert not [e for e in errors if "Content Security Policy" in e], errors

    # The shared live server's mailbox holds other tests' mail too: wait for this member's copy and invitation.
    copy = page.get_by_role("row").filter(has_text=EMAIL).filter(has_text="A copy of your letter to Rob Cerjanec")
    invite = page.get_by_role("row").filter(has_text="colleague-e2e@example.org")
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if copy.count() and invite.count():
            break
        page.wait_for_timeout(200)
    expect(invite.first).to_contain_text("Dr. Leila Karimi invites you")
    copy.first.get_by_role("link").first.click()
    expect(page.get_by_text(STORY)).to_be_visible()
    expect(page.get_by_text("Unsubscribe (one click, no login)")).to_be_visible()
    screenshot(page, "share-03-copy-in-mailbox")
