"""A member learns when their letter bounced or failed, and gets a copy to send another way."""

from sqlalchemy import select

from crm.campaigns.models import Letter
from crm.outbox.models import OutboundMessage
from tests.campaigns.conftest import district_id, letter_data


def _send_letter(app, browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    response = browser.post(url, letter_data(), page=url)
    assert response.status_code == 302
    return member


def test_a_failed_letter_sends_the_member_a_copy_once(app, browser, make_campaign, make_member, mailbox, session):
    from crm.outbox.status import announce

    member = _send_letter(app, browser, make_campaign, make_member)
    letter = session.scalar(select(Letter))
    message = session.get(OutboundMessage, letter.message_id)
    announce(session, message.id, "letter", member.id, "sending", "failed")
    announce(session, message.id, "letter", member.id, "failed", "bounced")  # already undelivered: no second notice
    session.commit()
    notices = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "letter_undelivered")).all()
    assert len(notices) == 1 and notices[0].to_address == member.email
    assert letter.body.splitlines()[0] in notices[0].text_body
    assert "could not be delivered (failed) to" in notices[0].text_body


def test_a_delivered_letter_sends_no_notice(app, browser, make_campaign, make_member, session):
    from crm.outbox.status import announce

    member = _send_letter(app, browser, make_campaign, make_member)
    letter = session.scalar(select(Letter))
    announce(session, letter.message_id, "letter", member.id, "accepted", "delivered")
    session.commit()
    assert session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "letter_undelivered")) is None


def test_a_french_member_is_told_in_french_with_the_status_in_french(app, browser, make_campaign, make_member, session):
    from crm.auth.models import User
    from crm.outbox.status import announce

    member = _send_letter(app, browser, make_campaign, make_member)
    session.get(User, member.id).language = "fr"
    letter = session.scalar(select(Letter))
    announce(session, letter.message_id, "letter", member.id, "sending", "bounced")
    session.commit()
    notice = session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "letter_undelivered"))
    assert "n'a pas pu être livrée (renvoyée) à" in notice.text_body and "bounced" not in notice.text_body
