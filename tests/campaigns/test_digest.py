"""Batches for offices that ask for them: a digest campaign records each letter at once and sends each office one
email a day with every letter in full; each letter goes into exactly one digest, however many workers run."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crm.campaigns.digest import MAX_LETTERS, digest_day, send_due_digests
from crm.campaigns.models import DIGEST_QUEUED, Campaign, Letter, LetterDigest
from crm.extensions import db
from crm.outbox.models import DeliveryEvent, OutboundMessage
from tests.campaigns.conftest import STORY, district_id, send_letter

# 15:00 UTC on a winter day is 10:00 in Toronto: letters from the day before are due, today's are not.
NOW = datetime(2026, 12, 5, 15, 0)
YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture
def digest_campaign(make_campaign):
    return make_campaign(letter_delivery="daily_digest")


def _write(app, browser, make_member, campaign, riding: int, name: str, story: str = STORY):
    member = make_member(riding=riding, name=name, postal_code="L1S 1A1")
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, riding)}", **{"block-3": story})
    assert response.status_code == 302
    browser.logout()
    return member


def _written_at(session, when: datetime) -> None:
    session.execute(update(Letter).where(Letter.created_at.is_not(None)).values(created_at=when))
    session.commit()


def test_letters_go_one_by_one_unless_the_lead_asks_for_a_digest(
    app, browser, make_campaign, make_member, session, seeded
):
    campaign = make_campaign()
    assert session.get(Campaign, campaign.id).letter_delivery == "one_by_one"
    _write(app, browser, make_member, campaign, 1, "Dr. One")
    letter = session.scalar(select(Letter))
    assert letter.message_id is not None and not letter.for_digest and letter.status == "queued"

    browser.login(campaign.lead.email)
    edit = f"/manage/campaigns/{campaign.id}/edit"
    page = browser.get(edit).get_data(as_text=True)
    assert 'name="letter_delivery"' in page and "Daily digest" in page
    stored = session.get(Campaign, campaign.id)
    form = {
        "name": stored.name,
        "slug": stored.slug,
        "hashtag": stored.hashtag,
        "kind": stored.kind,
        "jurisdiction_id": str(stored.jurisdiction_id),
        "mpp_address": stored.mpp_address,
        "status": stored.status,
        "letter_delivery": "daily_digest",
    }
    assert browser.post(edit, form, page=edit).status_code == 302
    session.expire_all()
    assert session.get(Campaign, campaign.id).letter_delivery == "daily_digest"
    assert browser.post(edit, form | {"letter_delivery": "weekly"}, page=edit).status_code == 200  # refused


def test_a_digest_letter_is_recorded_at_once_and_waits_for_the_office_s_digest(
    app, browser, digest_campaign, make_member, mailbox, session
):
    member = _write(app, browser, make_member, digest_campaign, 1, "Dr. Waiting")
    letter = session.scalar(select(Letter))
    assert letter.for_digest and letter.message_id is None and letter.status == DIGEST_QUEUED
    assert STORY in letter.body and "Dr. Waiting" in letter.signature
    assert (
        session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")) == 0
    )
    assert not [m for m in mailbox.deliver() if m["To"] == letter.to_address]
    browser.login(member.email)
    assert "queued for the office&#39;s daily digest" in browser.get("/my/letters").get_data(as_text=True)
    browser.logout()
    browser.login(digest_campaign.lead.email)
    dashboard = browser.get(f"/manage/campaigns/{digest_campaign.id}").get_data(as_text=True)
    assert "queued for the office&#39;s daily digest: 1" in dashboard


def test_after_midnight_each_office_gets_one_email_with_each_letter_in_full(
    app, browser, digest_campaign, make_member, mailbox, session
):
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Ada First", STORY + " First.")
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Bo Second", STORY + " Second.")
    _write(app, browser, make_member, digest_campaign, 2, "Dr. Cy Third", STORY + " Third.")
    _written_at(session, YESTERDAY)
    late = _write(app, browser, make_member, digest_campaign, 1, "Dr. Di Today", STORY + " Today.")
    session.execute(update(Letter).where(Letter.user_id == late.id).values(created_at=NOW - timedelta(hours=1)))
    session.commit()

    assert send_due_digests(session, NOW) == 2
    session.commit()
    letters = {letter.user.name: letter for letter in session.scalars(select(Letter))}
    office_1, office_2 = letters["Dr. Ada First"].to_address, letters["Dr. Cy Third"].to_address
    sent = [m for m in mailbox.deliver() if m["To"] in (office_1, office_2)]
    assert sorted(m["To"] for m in sent) == sorted([office_1, office_2])
    first = next(m for m in sent if m["To"] == office_1)
    text = first.get_body(preferencelist=("plain",)).get_content()
    assert first["Subject"].startswith("Daily digest: 2 letters from ITPO members about")
    assert first["Reply-To"] is None and "Please do not reply to this email" in text
    for name in ("Dr. Ada First", "Dr. Bo Second"):
        letter = letters[name]
        assert letter.body in text and letter.signature in text  # in full, signature included
    assert text.index("Letter 1 of 2") < text.index(" First.") < text.index("Letter 2 of 2") < text.index(" Second.")
    assert "Dr. Cy Third" not in text and "Dr. Di Today" not in text
    session.expire_all()
    assert letters["Dr. Ada First"].message_id == letters["Dr. Bo Second"].message_id is not None
    assert letters["Dr. Ada First"].status == "accepted"
    assert letters["Dr. Di Today"].status == DIGEST_QUEUED  # written today: tomorrow's digest


def test_each_office_gets_one_digest_a_day_and_each_letter_goes_in_one(
    app, browser, digest_campaign, make_member, session, runner
):
    _write(app, browser, make_member, digest_campaign, 1, "Dr. One")
    _written_at(session, YESTERDAY)
    assert send_due_digests(session, NOW) == 1
    session.commit()
    assert send_due_digests(session, NOW + timedelta(hours=3)) == 0  # nothing left, and today's is built
    session.commit()
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Two")
    session.execute(update(Letter).where(Letter.message_id.is_(None)).values(created_at=NOW - timedelta(hours=1)))
    session.commit()
    assert send_due_digests(session, NOW + timedelta(hours=4), include_today=True) == 0  # today's office slot is used
    session.commit()
    assert send_due_digests(session, NOW + timedelta(days=1)) == 1  # the next day's digest takes it
    session.commit()
    messages = session.scalars(select(Letter.message_id).order_by(Letter.id)).all()
    assert len(set(messages)) == 2 and None not in messages
    assert session.scalar(select(func.count()).select_from(LetterDigest)) == 2
    result = runner.invoke(args=["crm", "send-digests", "--letters", "--include-today"])
    assert result.exit_code == 0 and "queued 0 office letter digest(s)" in result.output


def test_operators_send_the_digests_from_the_command_line(app, browser, digest_campaign, make_member, runner, session):
    _write(app, browser, make_member, digest_campaign, 1, "Dr. One")
    result = runner.invoke(args=["crm", "send-digests", "--letters"])
    assert result.exit_code == 0 and "queued 0 office letter digest(s)" in result.output  # written today
    result = runner.invoke(args=["crm", "send-digests", "--letters", "--include-today"])
    assert result.exit_code == 0 and "queued 1 office letter digest(s)" in result.output
    session.expire_all()
    assert session.scalar(select(Letter)).message_id is not None


def test_two_workers_at_once_put_each_letter_in_exactly_one_digest(app, browser, digest_campaign, make_member, session):
    for number in range(6):
        _write(app, browser, make_member, digest_campaign, 1 + number % 3, f"Dr. Writer {number}")
    _written_at(session, YESTERDAY)
    db.session.remove()
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        with app.app_context(), Session(db.engine) as own:
            start.wait()
            for _ in range(20):  # a write that lost SQLite's lock is rolled back and tried again, as the worker does
                try:
                    results.append(send_due_digests(own, NOW))
                    own.commit()
                    return
                except OperationalError:
                    own.rollback()
                    time.sleep(0.05)
            errors.append("never got the lock")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and sum(results) == 3
    with app.app_context():
        letters = db.session.scalars(select(Letter)).all()
        assert all(letter.message_id is not None for letter in letters)
        assert len({letter.message_id for letter in letters}) == 3
        texts = db.session.scalars(select(OutboundMessage.text_body).where(OutboundMessage.kind == "letter")).all()
        assert len(texts) == 3
        for letter in letters:  # each letter is in exactly one digest's text
            assert sum(letter.signature in text for text in texts) == 1
        db.session.remove()


def test_a_busy_office_s_digest_comes_in_parts(app, digest_campaign, session):
    from crm.auth.models import User
    from crm.stakeholders.models import Person

    person = Person(full_name="Busy Office")
    users = [User(email=f"m{i}@example.org", name=f"M{i}", password_hash="!") for i in range(MAX_LETTERS + 1)]
    session.add_all([person, *users])
    session.flush()
    session.add_all(
        Letter(
            campaign_id=digest_campaign.id,
            user_id=user.id,
            person_id=person.id,
            template_id=digest_campaign.template_id,
            to_address="busy-office@example.invalid",
            subject="A letter",
            body=f"Body {i}",
            signature=f"--\n{user.name}",
            for_digest=True,
            created_at=YESTERDAY,
        )
        for i, user in enumerate(users)
    )
    session.commit()
    assert send_due_digests(session, NOW) == 2
    session.commit()
    subjects = session.scalars(
        select(OutboundMessage.subject).where(OutboundMessage.kind == "letter").order_by(OutboundMessage.id)
    ).all()
    assert subjects[0].startswith("Daily digest: 100 letters") and subjects[1] == (
        f"Daily digest: 1 letter from ITPO members about {session.get(Campaign, digest_campaign.id).name} (part 2)"
    )
    assert session.scalar(select(func.count()).select_from(Letter).where(Letter.message_id.is_(None))) == 0


def test_the_digest_s_delivery_events_reach_every_letter_in_it(
    app, browser, digest_campaign, make_member, mailbox, session
):
    from crm.outbox.status import announce
    from crm.replies.services import due_letters

    for name in ("Dr. One", "Dr. Two"):
        _write(app, browser, make_member, digest_campaign, 1, name)
    _written_at(session, YESTERDAY)
    send_due_digests(session, NOW)
    session.commit()
    message_id = session.scalar(select(Letter.message_id))
    # Delivered 15 days ago: both writers are asked "did they reply?" about their own letter.
    message = session.get(OutboundMessage, message_id)
    message.status = "delivered"
    session.add(
        DeliveryEvent(
            provider_event_id=uuid.uuid4().hex,
            event="delivered",
            message_id=message_id,
            occurred_at=datetime.utcnow() - timedelta(days=15),
            received_at=datetime.utcnow(),
        )
    )
    session.commit()
    assert sorted(row.name for row in due_letters(session, datetime.utcnow())) == ["Dr. One", "Dr. Two"]
    assert {letter.status for letter in session.scalars(select(Letter))} == {"delivered"}
    # Had it bounced, each writer would get their own letter back.
    announce(session, message_id, "letter", None, "accepted", "bounced")
    session.commit()
    notices = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "letter_undelivered")).all()
    letters = {letter.user.email: letter for letter in session.scalars(select(Letter))}
    assert sorted(n.to_address for n in notices) == sorted(letters)
    for notice in notices:
        own = letters[notice.to_address]
        other = next(letter for email, letter in letters.items() if email != notice.to_address)
        assert own.user.name in notice.text_body and other.user.name not in notice.text_body


def test_an_erased_writer_s_waiting_letter_is_never_sent(app, browser, digest_campaign, make_member, session):
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Gone")
    session.execute(update(Letter).values(signature=None, body="[erased]", created_at=YESTERDAY))
    session.commit()
    assert send_due_digests(session, NOW) == 0
    session.commit()
    assert session.scalar(select(Letter)).status == "not sent"


def test_the_digest_day_is_toronto_s():
    assert digest_day(datetime(2026, 12, 5, 4, 59)) == (datetime(2026, 12, 4).date(), datetime(2026, 12, 4, 5, 0))
    assert digest_day(datetime(2026, 12, 5, 5, 0)) == (datetime(2026, 12, 5).date(), datetime(2026, 12, 5, 5, 0))
    assert digest_day(datetime(2026, 7, 1, 4, 0))[1] == datetime(2026, 7, 1, 4, 0)  # summer time: UTC-4


def test_markup_in_a_story_is_text_in_the_digest_s_html_part(
    app, browser, digest_campaign, make_member, mailbox, session
):
    """A story's HTML reaches the office as the characters typed, never as markup."""
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Ada First", STORY + " <script>alert(1)</script><b>x</b>")
    _written_at(session, YESTERDAY)
    assert send_due_digests(session, NOW) == 1
    session.commit()
    digest = next(m for m in mailbox.deliver() if m["Subject"].startswith("Daily digest"))
    html = digest.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html


def test_the_member_is_told_the_letter_goes_in_tomorrow_s_digest(app, browser, digest_campaign, make_member):
    member = make_member(riding=1, postal_code="L1S 1A1")
    browser.login(member.email)
    response = send_letter(browser, digest_campaign, f"district-{district_id(app, 1)}")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "goes to the office in tomorrow&#39;s daily digest" in page and "is on its way." not in page


def test_letters_waiting_for_the_digest_count_as_queued_on_the_dashboard(
    app, browser, digest_campaign, make_member, make_user
):
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Ada First")
    lead = make_user(role="lead")
    browser.login(lead.email)
    from crm.dashboards.campaign import campaign_dashboard

    with app.app_context():
        dashboard = campaign_dashboard(db.session, db.session.get(Campaign, digest_campaign.id))
        assert dict((key, count) for key, _, count in dashboard.funnel)["queued"] == 1


def test_an_office_that_prefers_french_gets_its_digest_framed_in_french(
    app, browser, digest_campaign, make_member, mailbox, session
):
    """The digest's own words follow the office's language (issue 25); the letters stay as they were written."""
    from crm.stakeholders.models import ElectedOffice

    _write(app, browser, make_member, digest_campaign, 1, "Dr. Ada First", STORY + " First.")
    _write(app, browser, make_member, digest_campaign, 1, "Dr. Bo Second", STORY + " Second.")
    _write(app, browser, make_member, digest_campaign, 2, "Dr. Cy Third", STORY + " Third.")
    _written_at(session, YESTERDAY)
    session.execute(
        update(ElectedOffice).where(ElectedOffice.district_id == district_id(app, 1)).values(prefers_french=True)
    )
    session.commit()
    assert send_due_digests(session, NOW) == 2
    session.commit()
    letters = {letter.user.name: letter for letter in session.scalars(select(Letter))}
    sent = {m["To"]: m for m in mailbox.deliver() if m["Subject"].startswith(("Daily digest", "Résumé"))}
    french = sent[letters["Dr. Ada First"].to_address]
    name = session.get(Campaign, digest_campaign.id).name
    assert french["Subject"] == f"Résumé quotidien : 2 lettres de membres d'ITPO au sujet de {name}"
    assert "Lettres des membres d'ITPO" in french["From"]
    text = french.get_body(preferencelist=("plain",)).get_content()
    assert "Votre bureau a demandé" in text and "Merci de ne pas répondre à ce courriel" in text
    assert "Lettre 1 sur 2, écrite le" in text and "(heure de Toronto)" in text and "Objet : " in text
    assert "Daily digest" not in text and "Please do not reply" not in text and "Letter 1 of" not in text
    assert letters["Dr. Ada First"].body in text and letters["Dr. Ada First"].signature in text  # as written
    english = sent[letters["Dr. Cy Third"].to_address]
    assert english["Subject"] == f"Daily digest: 1 letter from ITPO members about {name}"
    english_text = english.get_body(preferencelist=("plain",)).get_content()
    assert "Below is the letter written to you" in english_text and "Letter 1 of 1, written" in english_text
