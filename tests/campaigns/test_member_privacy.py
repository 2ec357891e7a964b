"""A member downloads everything ITPO holds about them, changes consent, and can be erased."""

import json

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.auth.models import User
from crm.campaigns.models import Letter
from crm.members.models import ConsentRecord, MemberProfile
from tests.campaigns.conftest import district_id, letter_data


def _member_with_letter(app, browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=1, email="private@example.org", name="Private Person")
    browser.login("private@example.org")
    url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id(app, 1)}"
    assert browser.post(url, letter_data(), page=url).status_code == 302
    return member


def test_a_member_downloads_everything_held_about_them(app, browser, make_campaign, make_member):
    _member_with_letter(app, browser, make_campaign, make_member)
    data = json.loads(browser.get("/account/data.json").get_data(as_text=True))
    assert data["account"][0]["email"] == "private@example.org"
    assert data["letters"] and "Cairo" in data["letters"][0]["body"]
    assert {"profile", "consents", "mppchats_reports", "programs", "emails_sent_to_you"} <= set(data)
    csv = browser.get("/account/data.csv").get_data(as_text=True)
    assert "letters" in csv and "private@example.org" in csv


def test_a_member_sees_only_their_own_data(app, browser, make_campaign, make_member):
    _member_with_letter(app, browser, make_campaign, make_member)
    make_member(riding=2, email="other@example.org")
    other = type(browser)(app.test_client())
    other.login("other@example.org")
    data = json.loads(other.get("/account/data.json").get_data(as_text=True))
    assert data["account"][0]["email"] == "other@example.org" and data["letters"] == []


def test_consent_changes_are_new_records_with_time_and_source(browser, make_member, session):
    member = make_member(email="consent@example.org")
    browser.login("consent@example.org")
    browser.post("/account/consent", {"consent_email": "y"}, page="/account/data")
    browser.post("/account/consent", {}, page="/account/data")
    records = session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == member.id).order_by(ConsentRecord.id)
    ).all()
    assert [(r.granted, r.source) for r in records] == [(True, "account_page"), (False, "account_page")]


def test_erasure_anonymises_the_person_and_keeps_the_counts(app, browser, make_campaign, make_member, session):
    member = _member_with_letter(app, browser, make_campaign, make_member)
    wrong = browser.post("/account/erase", {"confirm": "erase"}, page="/account/data")
    assert wrong.status_code == 302
    assert session.get(User, member.id).email == "private@example.org"  # not confirmed: nothing happened
    browser.post("/account/erase", {"confirm": "ERASE"}, page="/account/data")
    session.expire_all()
    user = session.get(User, member.id)
    assert user.email.endswith("@erased.invalid") and user.name == "Erased member" and not user.active
    profile = session.scalar(select(MemberProfile).where(MemberProfile.user_id == member.id))
    assert profile.postal_code is None and profile.district_id is not None  # still counted in its riding
    letter = session.scalar(select(Letter).where(Letter.user_id == member.id))
    assert letter.body == "[erased]" and letter.district_id is not None
    assert session.scalar(select(func.count()).select_from(Letter)) == 1
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "users", AuditEvent.entity_id == member.id)
    ).all()
    assert any(e.action == "erase" for e in events)
    assert not any("private@example.org" in json.dumps(e.changes or {}) for e in events)
    assert browser.get("/home").status_code == 302  # logged out
    assert "do not match" in browser.login("private@example.org").get_data(as_text=True)


def test_letter_words_are_removed_after_the_retention_period_but_the_letter_still_counts(
    app, browser, make_campaign, make_member, runner, session
):
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from crm.outbox.models import OutboundMessage

    _member_with_letter(app, browser, make_campaign, make_member)
    letter = session.scalar(select(Letter))
    session.execute(update(Letter).values(created_at=datetime.utcnow() - timedelta(days=200)))
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == letter.message_id)
        .values(created_at=datetime.utcnow() - timedelta(days=200), status="delivered")
    )
    session.commit()
    result = runner.invoke(args=["crm", "scrub-letters"])
    assert "scrubbed 1 letter(s) older than 180 days" in result.output, result.output
    session.expire_all()
    letter = session.get(Letter, letter.id)
    assert letter.body.startswith("[removed") and letter.district_id is not None and letter.subject
    assert session.get(OutboundMessage, letter.message_id).text_body.startswith("[removed")
    assert "scrubbed 0" in runner.invoke(args=["crm", "scrub-letters"]).output
