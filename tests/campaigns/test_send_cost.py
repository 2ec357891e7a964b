"""What a letter's send costs the server: its SQL statements, and a rate limit that starts no thread."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import event, func, select

from crm.extensions import db
from tests.campaigns.conftest import STORY, district_id

# Reading: the user with their profile; the campaign with the posted template's version (its blocks are kept per
# process once read: crm/campaigns/template_texts.py; the letter page read them here) and the representative with
# the writer's riding and its member count; the near-copy check's candidate signatures with the suppression of the
# member's address (and, on PostgreSQL, the new rows' ids). Writing, on PostgreSQL in one statement: the letter's
# email, the letter, its signature and bands, the member's copy, and clearing letters that waited for this member.
# SQLite cannot write from a WITH, so there each of those six is a statement. Anything more is a regression: add it
# here knowingly.
SEND_READS = 3
SEND_STATEMENTS = {"postgresql": SEND_READS + 1, "sqlite": SEND_READS + 6}


@pytest.fixture
def sending(app, make_campaign, make_member, browser):
    """A logged-in member on the letter page of a live campaign, with the form's CSRF token and template."""
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    recipient = f"district-{district_id(app, 1)}"
    url = f"/campaigns/{campaign.slug}/write?recipient={recipient}"
    page = browser.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "recipient": recipient, "template_id": str(campaign.template_id)}
    return url, form | {"block-3": STORY, "send": "Send my letter"}


def _statements_of(app, client, url, data) -> tuple[object, list[str]]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(url, data=data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response, statements


def test_a_letter_is_sent_in_four_statements_on_postgresql_of_which_three_read(app, browser, sending):
    url, data = sending
    response, statements = _statements_of(app, browser.client, url, data)
    assert response.status_code == 302 and "/my/letters/" in response.headers["Location"]
    with app.app_context():
        dialect = db.engine.dialect.name
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    shown = "\n".join(" ".join(s.split())[:120] for s in statements)
    assert len(statements) <= SEND_STATEMENTS[dialect], shown
    assert len(reads) <= SEND_READS, shown
    assert not any("count(member_profiles_1.id)" in s for s in statements), "no aliased correlated count"


def test_a_template_s_blocks_are_read_once_per_process_not_with_every_letter(app, browser, sending):
    """A process that has not seen the version reads its blocks once; the next letter does not read them."""
    from crm.campaigns import template_texts
    from crm.campaigns.models import Letter

    url, data = sending
    template_texts._kept.clear()
    blocks_read = []
    for number in (1, 2):
        recipient = f"district-{district_id(app, number)}"
        page = f"{url.split('?')[0]}?recipient={recipient}"
        response, statements = _statements_of(app, browser.client, page, data | {"recipient": recipient})
        assert response.status_code == 302 and "/my/letters/" in response.headers["Location"]
        blocks_read.append(sum("letter_blocks" in s for s in statements))
    assert blocks_read == [1, 0]
    with app.app_context():
        assert all(STORY in body for body in db.session.scalars(select(Letter.body)))
        db.session.remove()


def test_a_version_saved_under_an_id_used_before_is_never_served_stale(app, make_campaign):
    """SQLite may give a new row the id of a deleted one: the new version's text replaces the kept one."""
    from crm.campaigns import services, template_texts
    from crm.campaigns.models import LetterTemplate

    campaign = make_campaign()
    with app.app_context():
        old = db.session.get(LetterTemplate, campaign.template_id)
        kept = template_texts.text_of(old)
        db.session.delete(old)
        db.session.flush()
        new, _ = services.save_template(
            db.session,
            db.session.get(services.Campaign, campaign.id),
            subject="A new subject",
            actor_id=None,
            blocks=[services.BlockInput("locked", "New text")],
        )
        text = template_texts.template_text(db.session, new.id, new.campaign_id, new.version, new.created_at)
        assert text.subject == "A new subject" and [b.body for b in text.blocks] == ["New text"]
        assert kept.subject != text.subject
        db.session.rollback()
        db.session.remove()


def test_a_send_reads_its_recipient_as_plain_columns_not_whole_rows(app, browser, sending):
    """The representative's seat, person and riding come as the few columns a letter uses (recipients.OfficeRef …),
    not as ORM objects of every column: the seat's Represent JSON, the person's notes."""
    url, data = sending
    response, statements = _statements_of(app, browser.client, url, data)
    assert response.status_code == 302 and "/my/letters/" in response.headers["Location"]
    assert not any("offices_json" in s or "people.notes" in s for s in statements)


def test_the_configured_sender_is_parsed_once_not_per_letter(app, monkeypatch):
    from crm.campaigns import services

    parsed = []
    original = services.parseaddr
    monkeypatch.setattr(services, "parseaddr", lambda header: parsed.append(header) or original(header))
    services._address_of.cache_clear()
    with app.app_context():
        app.config["MAIL_FROM"], before = "ITPO Letters <letters@itpo.example.org>", app.config["MAIL_FROM"]
        try:
            first = [services.sender_addresses(f"Member {n}", f"m{n}@example.org") for n in (1, 2)]
        finally:
            app.config["MAIL_FROM"] = before
    assert first[0][0] == "Member 1 via ITPO <letters@itpo.example.org>" and first[1][1] == "Member 2 <m2@example.org>"
    assert parsed == ["ITPO Letters <letters@itpo.example.org>"]


def test_a_send_checks_its_csrf_token_once_and_makes_none(app, browser, sending, monkeypatch):
    """CSRFProtect checks the token before the view; the letter form neither checks it again nor signs a new one
    for a page a send does not show. A send without a token is refused: tests/security/test_csrf_and_sessions.py."""
    import flask_wtf.csrf

    url, data = sending
    calls = []
    for name in ("validate_csrf", "generate_csrf"):
        original = getattr(flask_wtf.csrf, name)
        wrapped = (lambda o, n: lambda *a, **k: calls.append(n) or o(*a, **k))(original, name)
        monkeypatch.setattr(flask_wtf.csrf, name, wrapped)
    response = browser.client.post(url, data=data)
    assert response.status_code == 302 and "/my/letters/" in response.headers["Location"]
    assert calls == ["validate_csrf"]


def test_a_sent_letter_has_its_email_check_bands_and_copy(app, browser, sending):
    """The one-statement write leaves out nothing the send wrote one row at a time."""
    from crm.campaigns.models import Letter
    from crm.campaigns.similarity_models import LetterSignature, LetterSimilarityBand
    from crm.outbox.models import OutboundMessage

    url, data = sending
    browser.client.post(url, data=data)
    with app.app_context():
        letter = db.session.scalar(select(Letter))
        kinds = dict(db.session.execute(select(OutboundMessage.kind, OutboundMessage.to_address)).all())
        check = db.session.get(LetterSignature, letter.id)
        bands = db.session.scalar(select(func.count()).where(LetterSimilarityBand.letter_id == letter.id))
        assert letter.message.kind == "letter" and letter.message.status == "queued"
        assert letter.message.to_address == letter.to_address and kinds["letter"] == letter.to_address
        assert letter.message.text_body.startswith(letter.body) and letter.signature in letter.message.text_body
        assert f"/my/letters/{letter.id}/share" in db.session.scalar(
            select(OutboundMessage.text_body).where(OutboundMessage.kind == "letter_copy")
        )
        assert check.band == "personal" and check.signature is not None and bands == 32
        db.session.remove()


def test_the_letter_names_the_writers_riding_and_its_members_as_before(app, browser, sending):
    from crm.campaigns.models import Letter

    url, data = sending
    browser.client.post(url, data=data)
    with app.app_context():
        letter = db.session.scalar(select(Letter))
        assert "fewer than 5 ITPO members in our riding" in letter.body
        assert letter.district.name in letter.body
        db.session.remove()


def test_a_send_starts_no_thread_for_its_rate_limit(app, browser, sending):
    url, data = sending
    started = []
    original = threading.Thread.start

    def counted(thread):
        started.append(thread)
        return original(thread)

    threading.Thread.start = counted
    try:
        response = browser.client.post(url, data=data)
    finally:
        threading.Thread.start = original
    assert response.status_code == 302
    assert started == []


def test_the_letter_rate_limit_still_bites_per_account(app, make_campaign, make_member, browser):
    """Counted per account by the in-process counter storage: the third send within the minute is refused."""
    from crm.campaigns.models import Letter

    app.config["LETTER_RATE_LIMIT"] = "2 per minute"
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    answers = []
    for number in (1, 2, 3):
        recipient = f"district-{district_id(app, number)}"
        url = f"/campaigns/{campaign.slug}/write?recipient={recipient}"
        answers.append(browser.post(url, {"block-3": STORY, "send": "Send my letter"}, page=url).status_code)
    assert answers[:2] == [302, 302] and answers[2] == 429
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Letter)) == 2
        db.session.remove()


def test_the_counter_storage_counts_in_windows_and_forgets_expired_keys(monkeypatch):
    from crm.lib import ratelimit

    storage = ratelimit.CounterStorage()
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == 1060.0
    now[0] = 1061.0
    assert storage.get("k") == 0 and storage.incr("k", 60) == 1
    storage.incr("old", 1)
    now[0] = 2000.0
    monkeypatch.setattr(storage, "_until_sweep", 1)
    storage.incr("new", 60)
    assert set(storage._counts) == {"new"}


def test_tests_count_in_process_and_production_in_redis():
    import os

    from crm.config import ProductionConfig, TestingConfig

    assert TestingConfig.RATELIMIT_STORAGE_URI == "counter://"
    if "RATELIMIT_STORAGE_URI" not in os.environ:
        assert ProductionConfig.RATELIMIT_STORAGE_URI.startswith("redis://")
