"""In a real browser: letters an MPP's office counts, and what the office answered coming back.

A member in a postal area split between ridings sees each riding's share and picks theirs; the preview shows the
constituent signature and warns that the story reads like letters already sent. A member answers "did they
reply?" from the development mailbox; the answer shows on their letter, the MPP's timeline and the campaign's
responsiveness panel.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import ON_RIDING, login_as, screenshot

STORY = (
    "I practised family medicine for nine years in Beirut, and I could see patients in Ottawa tomorrow "
    "if the province funded more practice-ready assessment spots for doctors like me."
)
SPLIT_POSTAL_CODE = "K1B 4L2"  # K1B: three ridings near a third each, and one under 1%


def _campaign(app, name: str) -> tuple[int, str]:
    """A live Ontario campaign whose template has a personal block; returns (id, slug)."""
    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name=name,
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
                services.BlockInput("editable", "Please fund more Practice-Ready Assessment spots."),
                services.BlockInput("personal", "Your story", label="Your story", min_length=40),
                services.BlockInput("locked", "Sincerely,\n{{ member_name }}"),
            ],
        )
        campaign.status = "live"
        db.session.commit()
        found = (campaign.id, campaign.slug)
        db.session.remove()
    return found


def _member(app, name: str, postal_code: str | None = None, riding_number: int | None = None) -> str:
    """A confirmed member (riding from `riding_number`, if given); returns the email address."""
    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict

    email = f"{name.split()[-1].lower()}-{uuid.uuid4().hex[:6]}@example.org"
    with app.app_context():
        user = create_user(db.session, email=email, password=PASSWORD, role="member", confirmed=True, name=name)
        district = None
        if riding_number is not None:
            district = db.session.scalar(
                select(ElectoralDistrict.id).where(ElectoralDistrict.number == riding_number, ON_RIDING)
            )
        db.session.add(MemberProfile(user_id=user.id, postal_code=postal_code, province="ON", district_id=district))
        db.session.commit()
        db.session.remove()
    return email


def _log_in(page, base: str, email: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _send_from_profile_riding(page, base: str, slug: str, email: str, story: str) -> None:
    """A member whose profile names their riding writes to its MPP and sends."""
    _log_in(page, base, email, f"/campaigns/{slug}/write")
    page.locator("#own-riding").locator("xpath=..").get_by_role("link", name="Write to").first.click()
    page.get_by_label("Your story").fill(story)
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send my letter").click()
    page.wait_for_load_state()


def test_split_postal_area_shares_signature_and_near_copy_warning(page, live_server):
    base, app = live_server.url, live_server.app
    _, slug = _campaign(app, "Personal letters count")
    for name in ("Dr. Rami Khoury", "Dr. Lina Haddad"):  # two earlier letters with the same story
        _send_from_profile_riding(page, base, slug, _member(app, name, "K1B 1A1", riding_number=76), STORY)

    email = _member(app, "Dr. Nadia Saleh")  # no postal code or riding on file yet
    _log_in(page, base, email, f"/campaigns/{slug}/write")
    page.get_by_role("textbox", name="Your postal code").fill(SPLIT_POSTAL_CODE)
    page.get_by_role("button", name="Find my representative").click()

    expect(page.get_by_text("Your postal area is split between 4 ridings")).to_be_visible()
    shares = page.locator(".share")
    expect(shares.first).to_contain_text("% of your postal area")
    assert shares.count() == 4  # three shown, one folded behind "other ridings"
    folded = page.locator("details", has_text="Other ridings in this area (1, each under 5%")
    expect(folded).to_be_visible()
    expect(folded.locator(".share")).to_contain_text("under 1% of your postal area")
    screenshot(page, "count-01-split-postal-area")

    page.get_by_role("link", name="Write to").first.click()
    near_copy = STORY.replace("nine years", "ten years")
    page.get_by_label("Your story").fill(near_copy)
    page.get_by_role("button", name="Preview").click()

    signature = page.locator("#letter-signature")
    expect(signature).to_contain_text("Dr. Nadia Saleh")
    expect(signature).to_contain_text(SPLIT_POSTAL_CODE)
    expect(signature).to_contain_text(email)
    expect(page.locator("#near-copy-warning")).to_contain_text("tell it in your own words")
    screenshot(page, "count-02-preview-signature-near-copy")

    page.get_by_role("button", name="Send my letter").click()  # a near-copy may still be sent
    page.goto(base + "/my/letters")
    expect(page.get_by_text("Personal letters count").first).to_be_visible()


def _deliver_and_ask(app, base: str, campaign_id: int) -> None:
    """The provider reports every letter of the campaign delivered 15 days ago; the survey job runs."""
    from crm.campaigns.models import Letter
    from crm.extensions import db
    from crm.outbox.models import DeliveryEvent, OutboundMessage
    from crm.replies.services import queue_due_surveys

    now = datetime.utcnow()
    with app.app_context():
        for letter in db.session.scalars(select(Letter).where(Letter.campaign_id == campaign_id)):
            message = db.session.get(OutboundMessage, letter.message_id)
            message.status = "delivered"
            db.session.add(
                DeliveryEvent(
                    provider_event_id=uuid.uuid4().hex,
                    event="delivered",
                    message_id=message.id,
                    occurred_at=now - timedelta(days=15),
                    received_at=now - timedelta(days=15),
                )
            )
        db.session.commit()
        with app.test_request_context(base_url=base):  # the links in the mail point at this server
            assert queue_due_surveys(db.session) >= 6
        db.session.commit()
        db.session.remove()


def _others_answer(app, campaign_id: int, except_email: str) -> None:
    """Every other member of the campaign has already said the office replied."""
    from crm.auth.models import User
    from crm.extensions import db
    from crm.replies.models import LetterReply

    with app.app_context():
        for reply in db.session.scalars(
            select(LetterReply)
            .join(User, User.id == LetterReply.user_id)
            .where(LetterReply.campaign_id == campaign_id, User.email != except_email)
        ):
            reply.answer, reply.answered_at = "replied", datetime.utcnow()
        db.session.commit()
        db.session.remove()


def _open_survey_mail(page, base: str, email: str) -> None:
    mine = page.get_by_role("row").filter(has_text=email)
    for _ in range(75):
        page.goto(base + "/dev/mailbox/")
        if mine.filter(has_text="reply").count():
            break
        page.wait_for_timeout(200)
    mine.filter(has_text="reply").first.get_by_role("link").click()


def test_a_member_answers_did_they_reply_from_the_mailbox(page, live_server):
    base, app = live_server.url, live_server.app
    campaign_id, slug = _campaign(app, "Did they reply")
    emails = [_member(app, f"Dr. Member {n}", "K1B 1A1", riding_number=76) for n in range(6)]
    for email in emails:
        _send_from_profile_riding(page, base, slug, email, f"{STORY} ({email})")
    answering = emails[0]
    _deliver_and_ask(app, base, campaign_id)
    _others_answer(app, campaign_id, except_email=answering)

    page.context.clear_cookies()  # the link works without logging in
    _open_survey_mail(page, base, answering)
    page.locator('a[href*="answer=replied"]').first.click()
    expect(page.get_by_label("Yes, with a real answer")).to_be_checked()
    page.get_by_label("What did they say? (optional)").fill("The MPP will raise PRA spots with the Minister.")
    page.get_by_label("Supportive").check()
    screenshot(page, "count-03-survey")
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Your answer: Yes, with a real answer")).to_be_visible()

    _log_in(page, base, answering, "/my/letters")
    expect(page.locator(".letter-reply").first).to_contain_text("Reply: Yes, with a real answer")

    page.context.clear_cookies()
    login_as(page, live_server, "committee")
    mpp = _mpp_of(app, 76)  # Orléans' MPP, whoever holds the seat in the shipped roster
    page.goto(f"{base}/directory/people/{mpp[0]}")
    entry = page.get_by_role("link", name="campaign Did they reply): yes, with a real answer, supportive in tone")
    expect(entry).to_be_visible()
    screenshot(page, "count-04-timeline")
    entry.click()
    expect(page.get_by_text("The MPP will raise PRA spots with the Minister.")).to_be_visible()

    page.context.clear_cookies()
    login_as(page, live_server, "lead")
    page.goto(f"{base}/manage/campaigns/{campaign_id}")
    row = page.locator("table.responsiveness-mpp tbody tr", has_text=mpp[1])
    expect(row).to_contain_text("6")
    screenshot(page, "count-05-responsiveness")


def _mpp_of(app, riding_number: int) -> tuple[int, str]:
    from crm.extensions import db
    from crm.reference.models import ElectoralDistrict
    from crm.stakeholders.models import ElectedOffice, Person

    with app.app_context():
        found = db.session.execute(
            select(Person.id, Person.full_name)
            .join(ElectedOffice, ElectedOffice.person_id == Person.id)
            .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
            .where(ElectoralDistrict.number == riding_number, ON_RIDING, ElectedOffice.current.is_(True))
        ).first()
        db.session.remove()
    return found.id, found.full_name
