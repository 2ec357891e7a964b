"""Members answer "did they reply?" from the email; the answer shows on the letter and the official's timeline."""

import re

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.outbox.models import OutboundMessage
from crm.replies.models import LetterReply
from crm.replies.services import queue_due_surveys, survey_token
from crm.stakeholders.models import Stance
from tests.replies.conftest import deliver

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"


def _asked(session, sent_letter, **kwargs):
    """A sent, delivered, surveyed letter; returns (member, letter, the survey's path from the email)."""
    member, letter, campaign = sent_letter(**kwargs)
    deliver(session, letter, days_ago=15)
    assert queue_due_surveys(session) == 1
    session.commit()
    mail = session.scalar(
        select(OutboundMessage).where(OutboundMessage.kind == "reply_survey", OutboundMessage.user_id == member.id)
    )
    link = re.search(r"https?://[^/\s]+(/replies/survey/[^\s?]+)", mail.text_body).group(1)
    return member, letter, link


def _answer(browser, link, **data):
    return browser.post(link, {"answer": "replied", "reply_text": "", "tone": "", **data}, page=link)


def test_a_one_click_answer_opens_a_confirmation_and_changes_nothing(session, browser, sent_letter):
    _, _, link = _asked(session, sent_letter)
    page = browser.get(link + "?answer=no_reply")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'checked[^>]*value="no_reply"|value="no_reply"[^>]*checked', html)
    assert session.scalar(select(LetterReply.answer)) is None


def test_the_answer_shows_on_my_letters_the_letter_and_the_officials_timeline(session, browser, sent_letter, make_user):
    member, letter, link = _asked(session, sent_letter)
    response = _answer(browser, link, reply_text="They will raise PRA spots with the minister.", tone="supportive")
    assert response.status_code == 302
    reply = session.scalar(select(LetterReply))
    session.refresh(reply)
    assert (reply.answer, reply.tone) == ("replied", "supportive") and reply.answered_at is not None
    browser.login(member.email)
    mine = browser.get("/my/letters").get_data(as_text=True)
    assert "Reply: Yes, with a real answer" in mine and "raise PRA spots" in mine
    assert "Reply: Yes, with a real answer" in browser.get(f"/my/letters/{letter.id}").get_data(as_text=True)
    browser.logout()
    make_user(role="committee", email="committee@example.org")
    browser.login("committee@example.org")
    person_page = browser.get(f"/directory/people/{letter.person_id}").get_data(as_text=True)
    assert "A member reports on their letter" in person_page and "yes, with a real answer" in person_page
    assert member.name not in person_page  # the timeline never names the member
    assert f"/replies/{reply.id}" in person_page


def test_answered_twice_the_second_answer_replaces_the_first(session, browser, sent_letter):
    _, _, link = _asked(session, sent_letter)
    assert _answer(browser, link, answer="no_reply").status_code == 302
    response = _answer(browser, link, answer="replied", tone="neutral")
    assert response.status_code == 302
    browser.get(response.headers["Location"])
    assert session.scalar(select(func.count()).select_from(LetterReply)) == 1
    reply = session.scalar(select(LetterReply))
    session.refresh(reply)
    assert (reply.answer, reply.tone) == ("replied", "neutral")


def test_50000_characters_are_refused_with_a_message_and_nothing_saved(session, browser, sent_letter):
    _, _, link = _asked(session, sent_letter)
    response = _answer(browser, link, reply_text="x" * 50_000)
    assert response.status_code == 400
    assert "Keep it to 2,000 characters" in response.get_data(as_text=True)
    assert session.scalar(select(LetterReply.answer)) is None


def test_control_characters_are_removed_and_markup_is_shown_as_text(session, browser, sent_letter, make_user):
    member, letter, link = _asked(session, sent_letter)
    assert _answer(browser, link, reply_text=f"  Thanks\u2028 {PAYLOAD}\x07\r\n ").status_code == 302
    reply = session.scalar(select(LetterReply))
    session.refresh(reply)
    assert reply.reply_text == f"Thanks {PAYLOAD}"
    browser.login(member.email)
    for page in ("/my/letters", f"/my/letters/{letter.id}", link):
        html = browser.get(page).get_data(as_text=True)
        assert PAYLOAD not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    browser.logout()
    make_user(role="lead", email="lead@example.org")
    browser.login("lead@example.org")
    for page in (f"/replies/{reply.id}", f"/manage/campaigns/{letter.campaign_id}/letters/{letter.id}"):
        html = browser.get(page).get_data(as_text=True)
        assert PAYLOAD not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


def test_an_answer_after_the_letter_bounced_is_refused(session, browser, sent_letter):
    _, letter, link = _asked(session, sent_letter)
    deliver(session, letter, days_ago=1, event="bounce")
    session.get(OutboundMessage, letter.message_id).status = "delivered"
    session.commit()
    assert "did not reach the office after all" in browser.get(link).get_data(as_text=True)
    token = browser.token("/login")  # (the survey page has no form now)
    assert browser.client.post(link, data={"answer": "replied", "csrf_token": token}).status_code == 409
    assert session.scalar(select(LetterReply.answer)) is None


def test_a_tampered_link_is_a_404_and_is_audited(session, browser, sent_letter):
    _, _, link = _asked(session, sent_letter)
    token = link.rsplit("/", 1)[1]
    tampered = link[: -len(token)] + token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert browser.get(tampered).status_code == 404
    assert browser.post(tampered, {"answer": "replied"}, page=link).status_code == 404
    reply = session.scalar(select(LetterReply))
    forged = survey_token(reply.id, "not-the-nonce")  # signed by us, but not this survey's
    assert browser.get(f"/replies/survey/{forged}").status_code == 404
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "refused_survey_link")).all()
    assert len(events) == 3
    assert {event.changes["reason"] for event in events} == {"bad signature", "nonce does not match"}
    assert session.scalar(select(LetterReply.answer)) is None


def test_another_members_link_is_a_404_and_is_audited(session, browser, sent_letter, make_member):
    _, _, link = _asked(session, sent_letter)
    other = make_member(riding=1)
    browser.login(other.email)
    assert browser.get(link).status_code == 404
    token = browser.token("/my/letters")
    assert browser.client.post(link, data={"answer": "replied", "csrf_token": token}).status_code == 404
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "refused_survey_link")).all()
    assert len(events) == 2
    assert all(e.changes == {"reason": "another member's letter"} and e.actor_id == other.id for e in events)
    assert session.scalar(select(LetterReply.answer)) is None


def test_a_committee_member_makes_a_reply_a_stance_with_one_click(session, browser, sent_letter, make_user):
    _, letter, link = _asked(session, sent_letter)
    _answer(browser, link, reply_text="We support more PRA spots.", tone="supportive")
    reply = session.scalar(select(LetterReply))
    make_user(role="committee", email="committee@example.org")
    browser.login("committee@example.org")
    page = browser.get(f"/replies/{reply.id}").get_data(as_text=True)
    assert "We support more PRA spots." in page and "Make it a stance" in page
    assert 'selected value="supportive"' in page or 'value="supportive" selected' in page
    response = browser.post(
        f"/replies/{reply.id}/stance", {"ask": "pra", "position": "supportive"}, page=f"/replies/{reply.id}"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{letter.person_id}")
    stance = session.scalar(select(Stance))
    assert (stance.person_id, stance.ask, stance.position, stance.source) == (
        letter.person_id,
        "pra",
        "supportive",
        "member-reported reply",
    )
    assert "We support more PRA spots." in stance.note
    again = browser.post(
        f"/replies/{reply.id}/stance",
        {"ask": "pra", "position": "supportive"},
        page=f"/replies/{reply.id}",
        follow_redirects=True,
    )
    assert "already a stance" in again.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Stance)) == 1


def test_only_a_real_answer_can_become_a_stance(session, browser, sent_letter, make_user):
    _, _, link = _asked(session, sent_letter)
    _answer(browser, link, answer="acknowledged")
    reply = session.scalar(select(LetterReply))
    make_user(role="committee", email="committee@example.org")
    browser.login("committee@example.org")
    response = browser.post(
        f"/replies/{reply.id}/stance",
        {"ask": "pra", "position": "supportive"},
        page=f"/replies/{reply.id}",
        follow_redirects=True,
    )
    assert "Only a real answer" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Stance)) == 0


def test_members_cannot_open_the_committees_reply_page(session, browser, sent_letter):
    member, _, link = _asked(session, sent_letter)
    _answer(browser, link)
    reply = session.scalar(select(LetterReply))
    browser.login(member.email)
    assert browser.get(f"/replies/{reply.id}").status_code == 403


def test_erasure_removes_the_words_and_keeps_the_answer(session, browser, sent_letter):
    from crm.auth.models import User
    from crm.members.privacy import erase_member

    member, _, link = _asked(session, sent_letter)
    _answer(browser, link, reply_text="Personal words.")
    erase_member(session, session.get(User, member.id))
    session.commit()
    reply = session.scalar(select(LetterReply))
    session.refresh(reply)
    assert reply.reply_text is None and reply.answer == "replied"
