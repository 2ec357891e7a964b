"""Stored XSS on the mailing pages: what leads type (segment names, mailing subjects and texts) and members'
names in previews are shown as text, never as markup (stored_text.py's EXEMPT entries point here)."""

from __future__ import annotations

from sqlalchemy import select

from crm.mailings.models import Mailing
from tests.mailings.conftest import run_due
from tests.security.page_check import read_page
from tests.security.stored_text import ATTRIBUTE, SCRIPT

PAYLOAD = SCRIPT + ATTRIBUTE


def _no_live_markup(browser, url: str) -> str:
    html = browser.get(url).get_data(as_text=True)
    page = read_page(html)
    assert not [live for live in page.live if "src" not in live or "x" in live], (url, page.live)
    assert any(PAYLOAD in shown for shown in page.shown), f"{url} does not show the payload as text"
    return html


def test_what_leads_and_members_typed_shows_as_text(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    for n in range(5):
        make_reachable(name=f"Dr {n} {PAYLOAD}")
    saved = browser.post("/manage/segments", {"name": f"Seg {PAYLOAD}", "save": "Save segment"})
    assert saved.status_code == 302
    _no_live_markup(browser, saved.headers["Location"])
    segment_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    created = browser.post(
        f"/manage/campaigns/{campaign.id}/mailings",
        {
            "segment_id": str(segment_id),
            "subject": f"Hello {PAYLOAD} " + "{{ member_name }}" * 4,
            "body": f"Text {PAYLOAD} {{{{ member_name }}}}",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    _no_live_markup(browser, created.headers["Location"])  # the preview, with members' names
    mailing_id = session.scalar(select(Mailing.id))
    browser.post(f"/manage/mailings/{mailing_id}/send", {"scheduled_at": ""}, page=created.headers["Location"])
    run_due(app)  # every member skipped: the subject comes out too long; the page lists them with the reason
    _no_live_markup(browser, f"/manage/mailings/{mailing_id}")
    _no_live_markup(browser, f"/manage/campaigns/{campaign.id}")  # the conversion section
    _no_live_markup(browser, f"/manage/campaigns/{campaign.id}/mailings")


def test_a_french_version_typed_by_a_lead_shows_as_text(app, browser, lead, session, make_campaign, make_reachable):
    campaign = make_campaign()
    for n in range(5):
        make_reachable(name=f"Dr {n}")
    saved = browser.post("/manage/segments", {"name": "Everyone", "save": "Save segment"})
    segment_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    created = browser.post(
        f"/manage/campaigns/{campaign.id}/mailings",
        {
            "segment_id": str(segment_id),
            "subject": "Hello {{ member_name }}",
            "body": "Text {{ member_name }}",
            "subject_fr": f"Bonjour {PAYLOAD} " + "{{ member_name }}",
            "body_fr": f"Texte {PAYLOAD} {{{{ member_name }}}}",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    html = _no_live_markup(browser, created.headers["Location"])  # both previews; only the French has the payload
    page = read_page(html)
    assert any(f"Bonjour {PAYLOAD}" in shown for shown in page.shown)
    assert any(f"Texte {PAYLOAD}" in shown for shown in page.shown)
