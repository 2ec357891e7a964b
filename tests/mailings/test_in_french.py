"""A mailing in French too (issue 25): French members get the French version and a French CASL footer."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.extensions import db
from crm.mailings.models import Mailing, MailingRecipient
from crm.outbox.models import MailBatch, OutboundMessage
from tests.mailings.conftest import make_mailing, make_segment, run_due

SUBJECT_FR = "{{ member_name }}, écrivez à votre député"
BODY_FR = "Bonjour {{ member_name }},\n\nVotre député {{ representative_name }} doit vous lire : {{ action_link }}"
FRENCH = {"subject_fr": SUBJECT_FR, "body_fr": BODY_FR}


def _speaks(app, user, language: str | None) -> None:
    from crm.auth.models import User

    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()
        db.session.remove()


def _send_now(app, mailing_id: int) -> None:
    from crm.mailings.services import send_mailing

    with app.test_request_context():
        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
        db.session.remove()


def _made(app, make_reachable, languages) -> list:
    members = []
    for index, language in enumerate(languages):
        member = make_reachable(name=f"Dr {language or 'Unset'} {index}")
        _speaks(app, member, language)
        members.append(member)
    return members


def test_french_members_get_the_french_version_with_a_french_footer(
    app, session, make_campaign, make_reachable, sendgrid
):
    from crm.outbox.worker import run_worker

    campaign = make_campaign()
    english, french, unset = _made(app, make_reachable, ["en", "fr", None])
    mailing_id = make_mailing(app, campaign, make_segment(app), **FRENCH)
    _send_now(app, mailing_id)
    run_worker(app, once=True, concurrency=2)
    delivered = sendgrid.personal_messages()
    assert delivered[french.email]["subject"] == f"{french.name}, écrivez à votre député"
    text = delivered[french.email]["text"]
    assert f"Bonjour {french.name}," in text and "/act/" in text and "Dear" not in text
    assert "Ce courriel a été envoyé par" in text and "Se désabonner" in text and "This email was sent" not in text
    for member in (english, unset):
        mail = delivered[member.email]
        assert mail["subject"] == f"{member.name}, write to your MPP" and f"Dear {member.name}," in mail["text"]
        assert "This email was sent by" in mail["text"] and "Ce courriel" not in mail["text"]
    mailing = session.get(Mailing, mailing_id)
    assert (mailing.recipients, mailing.skipped) == (3, 0)
    assert session.scalar(select(func.count()).select_from(MailBatch)) == 2  # one frame per language


def test_without_a_french_version_everyone_gets_the_english(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    members = _made(app, make_reachable, ["fr", "en", "fr"])
    mailing_id = make_mailing(app, campaign, make_segment(app))
    page = f"/manage/mailings/{mailing_id}"
    html = browser.get(page).get_data(as_text=True)
    assert "There is no French version, so all get the English." in html
    assert "would reach fewer than 5 members." in html  # too few to break down by language
    browser.post(f"{page}/send", {"scheduled_at": ""}, page=page)
    assert run_due(app) == 1
    rows = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "call_to_action")).all()
    assert {row.to_address for row in rows} == {member.email for member in members}
    assert all(row.subject.endswith("write to your MPP") and row.text_body.startswith("Dear") for row in rows)
    batch = session.scalar(select(MailBatch))
    assert "This email was sent by" in batch.text_body and batch.subject == "{{ member_name }}, write to your MPP"


def test_cancel_stops_the_queued_messages_of_both_languages(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    _made(app, make_reachable, ["en", "fr", "fr"])
    mailing_id = make_mailing(app, campaign, make_segment(app), **FRENCH)
    page = f"/manage/mailings/{mailing_id}"
    browser.post(f"{page}/send", {"scheduled_at": ""}, page=page)
    run_due(app)
    assert browser.post(f"{page}/cancel", page=page).status_code == 302
    statuses = session.scalars(select(OutboundMessage.status).where(OutboundMessage.kind == "call_to_action")).all()
    assert statuses == ["cancelled"] * 3


def test_a_lead_writes_a_french_version_sees_both_and_gets_both_tests(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    _made(app, make_reachable, ["en"] * 5 + ["fr"] * 5)
    form = {
        "segment_id": str(make_segment(app)),
        "subject": "{{ member_name }}, write",
        "body": "Dear {{ member_name }}, {{ representative_name }}: {{ action_link }}",
    }
    page = browser.post(f"/manage/campaigns/{campaign.id}/mailings", {**form, **FRENCH})
    assert page.status_code == 302, page.get_data(as_text=True)
    mailing = session.scalar(select(Mailing))
    assert (mailing.subject_fr, mailing.body_fr) == (SUBJECT_FR, BODY_FR)
    html = browser.get(page.headers["Location"]).get_data(as_text=True)
    assert "would reach 10 members, by their language: English 5, French 5." in html
    assert "Dear Dr en 0" in html and "Bonjour Dr en 0" in html  # the French version shown as if
    assert "The French version, as Dr en 0" in html and "Ce courriel a été envoyé par" in html
    sent = browser.post(f"/manage/mailings/{mailing.id}/test", page=f"/manage/mailings/{mailing.id}")
    assert sent.status_code == 302
    tests = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "mailing_test")).all()
    assert sorted(message.subject for message in tests) == [
        "[TEST FR] Dr en 0, écrivez à votre député",
        "[TEST] Dr en 0, write",
    ]
    french = next(message for message in tests if message.subject.startswith("[TEST FR]"))
    assert "Bonjour" in french.text_body and "Se désabonner" in french.text_body
    page = f"/manage/mailings/{mailing.id}"
    assert "[TEST FR]" in browser.get(page).get_data(as_text=True)
    browser.post(f"{page}/send", {"scheduled_at": ""}, page=page)
    assert run_due(app) == 1
    sent = browser.get(page).get_data(as_text=True)
    assert "French version" in sent and "Bonjour {{ member_name }}" in sent and "to 10 members" in sent


def test_a_french_version_with_a_bad_template_is_refused_and_nothing_saved(
    app, browser, lead, session, make_campaign, make_reachable
):
    campaign = make_campaign()
    form = {"segment_id": str(make_segment(app)), "subject": "Write now", "body": "Dear {{ member_name }}"}
    cases = [
        ({"subject_fr": "Écrivez", "body_fr": "Bonjour {{ action_link }}"}, "placeholders the English one does not"),
        ({"subject_fr": "Écrivez", "body_fr": "Bonjour {{ config }}"}, "not a placeholder"),
        ({"subject_fr": "Écrivez", "body_fr": "{% for x in y %}{% endfor %}"}, "not allowed"),
        ({"subject_fr": "Écrivez {{ member_name", "body_fr": "Bonjour"}, "syntax error"),
        ({"subject_fr": "Écrivez", "body_fr": ""}, "Write both the French subject and the French text"),
    ]
    for french, error in cases:
        page = browser.post(f"/manage/campaigns/{campaign.id}/mailings", {**form, **french})
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and error in html, (french, html)
    assert "French subject:" in html or "French text" in html
    assert session.scalar(select(func.count()).select_from(Mailing)) == 0
    assert session.scalar(select(func.count()).select_from(MailingRecipient)) == 0


def test_the_french_version_names_the_member_s_riding_in_french(app, session, make_campaign, make_reachable):
    campaign = make_campaign()
    english, french = make_reachable(riding=8, name="Dr en"), make_reachable(riding=8, name="Dr fr")
    _speaks(app, french, "fr")
    mailing_id = make_mailing(
        app,
        campaign,
        make_segment(app),
        subject="Write from {{ member_riding }}",
        body="Dear {{ member_name }} of {{ member_riding }}",
        subject_fr="Écrivez depuis {{ member_riding }}",
        body_fr="Bonjour {{ member_name }} de {{ member_riding }}",
    )
    _send_now(app, mailing_id)
    assert run_due(app) == 1
    subjects = dict(session.execute(select(OutboundMessage.to_address, OutboundMessage.subject)).all())
    assert subjects == {english.email: "Write from Brampton Centre", french.email: "Écrivez depuis Brampton-Centre"}
