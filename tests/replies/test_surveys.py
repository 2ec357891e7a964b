"""The "did they reply?" survey: sent once, 14 days after delivery, only where it may go."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from crm.extensions import db
from crm.outbox.backends import message_content
from crm.outbox.models import AddressHealth, OutboundMessage, Suppression
from crm.replies.models import LetterReply
from crm.replies.services import _claim, due_letters, queue_due_surveys
from tests.replies.conftest import deliver


def _surveys(session) -> list[OutboundMessage]:
    return session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "reply_survey")).all()


def test_the_survey_goes_14_days_after_delivery_and_not_before(session, sent_letter):
    member, letter, _ = sent_letter()
    deliver(session, letter, days_ago=13.9)
    assert queue_due_surveys(session) == 0
    session.rollback()
    assert queue_due_surveys(session, datetime.utcnow() + timedelta(hours=3)) == 1
    session.commit()
    [mail] = _surveys(session)
    subject, text, _ = message_content(mail)
    assert mail.to_address == member.email and "office reply" in subject and letter.person.full_name in subject
    assert "/replies/survey/" in text and "?answer=replied" in text
    assert "?answer=no_reply" in text and "?answer=acknowledged" in text
    # The CASL footer with this member's own one-click unsubscribe link (and its headers).
    assert "because you agreed" in text and mail.unsubscribe_url in text
    assert "/unsubscribe/" in mail.unsubscribe_url
    reply = session.scalar(select(LetterReply))
    assert reply.letter_id == letter.id and reply.message_id == mail.id and reply.person_id == letter.person_id


def test_the_survey_goes_once_however_often_the_job_runs(session, sent_letter):
    _, letter, _ = sent_letter()
    deliver(session, letter, days_ago=15)
    assert queue_due_surveys(session) == 1
    session.commit()
    assert queue_due_surveys(session) == 0
    session.commit()
    assert len(_surveys(session)) == 1
    assert session.scalar(select(func.count()).select_from(LetterReply)) == 1


def test_two_overlapping_runs_ask_once(app, session, sent_letter):
    """A second run that chose the same letters before the first committed inserts nothing and mails nothing."""
    _, letter, _ = sent_letter()
    deliver(session, letter, days_ago=15)
    now = datetime.utcnow()
    stale = due_letters(session, now)  # what the second worker saw
    assert [row.id for row in stale] == [letter.id]
    assert queue_due_surveys(session, now) == 1  # the first worker
    session.commit()
    assert _claim(session, stale, now) == []
    session.rollback()
    assert len(_surveys(session)) == 1


def test_no_survey_for_unsubscribed_failing_or_inactive_members(session, sent_letter, make_campaign, make_member):
    campaign = make_campaign()
    unsubscribed, letter1, _ = sent_letter(campaign=campaign)
    failing, letter2, _ = sent_letter(campaign=campaign, member=make_member(riding=2), riding=2)
    session.add(Suppression(address=unsubscribed.email, reason="unsubscribe"))
    session.add(AddressHealth(address=failing.email, bounces=3, failing=True))
    session.commit()
    deliver(session, letter1, days_ago=15)
    deliver(session, letter2, days_ago=15)
    assert queue_due_surveys(session) == 0


def test_no_survey_for_a_bounced_letter_or_one_that_bounced_after_delivery(
    session, sent_letter, make_campaign, make_member
):
    campaign = make_campaign()
    _, bounced, _ = sent_letter(campaign=campaign)
    _, late_bounce, _ = sent_letter(campaign=campaign, member=make_member(riding=2), riding=2)
    deliver(session, bounced, days_ago=15, event="bounce")
    deliver(session, late_bounce, days_ago=15)
    deliver(session, late_bounce, days_ago=14.5, event="bounce")
    session.get(OutboundMessage, late_bounce.message_id).status = "delivered"  # a bounce never moves it back
    session.commit()
    assert queue_due_surveys(session) == 0


def test_letters_delivered_long_ago_are_not_asked(session, sent_letter):
    _, letter, _ = sent_letter()
    deliver(session, letter, days_ago=40)
    assert queue_due_surveys(session) == 0


def test_a_letter_not_yet_delivered_is_not_asked(session, sent_letter):
    _, letter, _ = sent_letter()
    session.get(OutboundMessage, letter.message_id).status = "accepted"
    session.commit()
    assert queue_due_surveys(session, datetime.utcnow() + timedelta(days=20)) == 0


def test_the_command_queues_the_due_surveys(app, runner, session, sent_letter):
    _, letter, _ = sent_letter()
    deliver(session, letter, days_ago=15)
    session.remove() if hasattr(session, "remove") else None
    result = runner.invoke(args=["crm", "send-reply-surveys"])
    assert result.exit_code == 0 and "queued 1 reply survey(s)" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LetterReply)) == 1


def test_the_member_receives_it_with_the_footer_and_one_click_unsubscribe(session, sent_letter, mailbox):
    member, letter, _ = sent_letter()
    mailbox.deliver()  # the letter itself
    deliver(session, letter, days_ago=15)
    assert queue_due_surveys(session) == 1
    session.commit()
    [mail] = [m for m in mailbox.deliver() if m["To"] == member.email and "reply" in m["Subject"]]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Did the office reply?" in body and "/replies/survey/" in body and "because you agreed" in body
    assert "/unsubscribe/" in mail["List-Unsubscribe"] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
