"""Mail: nothing anyone types adds a header (one rule where every message is queued, crm/outbox/services.py
`one_line`), and letter text is escaped in the HTML part."""

from sqlalchemy import func, select

from crm.campaigns.models import Letter, LetterTemplate
from crm.outbox.models import OutboundMessage
from tests.campaigns.conftest import TEMPLATE_PAGE, district_id, new_campaign, send_letter, template_form


def test_html_in_a_story_is_literal_text_and_escaped_in_the_html_part(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    story = 'My story <script>alert(1)</script> <a href="http://evil.example">click</a> & more text.'
    send_letter(browser, campaign, f"district-{district_id(app, 1)}", **{"block-3": story})
    message = session.get(OutboundMessage, session.scalar(select(Letter.message_id)))
    assert story in message.text_body
    assert "<script>" not in message.html_body and "<a " not in message.html_body
    assert "&lt;script&gt;" in message.html_body


def test_line_breaks_in_a_name_never_reach_a_header(app, browser, make_campaign, make_member, session, mailbox):
    campaign = make_campaign(subject="From {{ member_name }}")
    member = make_member(riding=1, name="Eve\r\nBcc: victim@example.org")
    browser.login(member.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    message = session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "letter"))
    for header in (message.subject, message.from_address, message.reply_to):
        assert "\r" not in header and "\n" not in header
    sent = mailbox.deliver()[-1]
    assert sent["Bcc"] is None


def test_a_subject_with_a_line_break_is_rejected(browser, make_user, session, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    campaign_id = new_campaign(browser)
    response = browser.post(
        TEMPLATE_PAGE.format(campaign_id), template_form("Hello\r\nBcc: victim@example.org", ("locked", "Text", 0))
    )
    assert "must be one line" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(LetterTemplate)) == 0


def test_line_breaks_in_an_event_title_never_reach_a_header(app, browser, make_user, make_event, mailbox):
    event_id = make_event(title="Webinar\r\nBcc: victim@example.org")
    make_user(email="registrant@example.org")
    browser.login("registrant@example.org")
    browser.post(f"/programs/events/{event_id}/register", page=f"/programs/events/{event_id}")
    sent = mailbox.deliver()[-1]
    assert sent["Bcc"] is None and "\n" not in sent["Subject"] and "\r" not in sent["Subject"]
    assert sent["Subject"] == "You are registered: Webinar Bcc: victim@example.org"
