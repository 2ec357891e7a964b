"""A copy and a share: the member's copy of their own letter, share links with a referral code, a one-off
invitation to colleagues, and the sign-ups those links bring, counted on the campaign dashboard."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.campaigns.models import CampaignReferral, Letter, ReferralCode
from crm.campaigns.sharing import CODE_ALPHABET, CODE_LENGTH, MAX_COLLEAGUES
from crm.outbox.models import OutboundMessage, Suppression
from tests.campaigns.conftest import STORY, district_id, send_letter
from tests.campaigns.test_write_first import NEW_MEMBER, _join_link, _write_as_visitor

OWN_MPP = "rcerjanec.mpp.co@liberal.ola.org"  # riding 1's MPP, in the seeded directory
OTHER_STORY = "I delivered babies in Lagos for a decade and now stock shelves at night in Pickering."


@pytest.fixture
def sent(app, browser, make_campaign, make_member, session):
    """A live campaign and a member (logged in) who has sent their letter; returns (campaign, member, letter id)."""
    campaign = make_campaign()
    member = make_member(riding=1, name="Dr. Amal Farouk", email="amal@example.org", postal_code="L1S 1A1")
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    assert response.status_code == 302
    letter_id = session.scalar(select(Letter.id).where(Letter.user_id == member.id))
    return campaign, member, letter_id


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _copies(mailbox, address: str) -> list:
    return [m for m in mailbox.deliver() if m["To"] == address and m["Subject"].startswith("A copy of your letter")]


def _share_page(browser, letter_id: int) -> str:
    response = browser.get(f"/my/letters/{letter_id}/share")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _links(page: str) -> dict[str, str]:
    return {key: unescape(href) for key, href in re.findall(r'data-share="(\w+)" href="([^"]+)"', page)}


def _code(session, user_id: int) -> str:
    return session.scalar(select(ReferralCode.code).where(ReferralCode.user_id == user_id))


def _invites(session) -> list[OutboundMessage]:
    return list(session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "colleague_invite")))


# --- the copy -------------------------------------------------------------------------------------------------


def test_after_sending_the_member_lands_on_the_share_page_and_gets_a_copy_of_their_letter(
    app, browser, make_campaign, make_member, mailbox, session
):
    campaign = make_campaign()
    member = make_member(riding=1, name="Dr. Amal Farouk", email="amal@example.org", postal_code="L1S 1A1")
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    letter = session.scalar(select(Letter))
    assert response.headers["Location"] == f"/my/letters/{letter.id}/share"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your letter to Rob Cerjanec is on its way" in page and "Ask others to write too" in page
    [copy] = _copies(mailbox, "amal@example.org")
    text = _body(copy)
    assert copy["Subject"] == "A copy of your letter to Rob Cerjanec"
    assert STORY in text and letter.signature in text  # the letter as sent, signed
    assert "Dr. Amal Farouk" in text and "L1S 1A1" in text
    assert "Unsubscribe (one click, no login): http" in text and "/unsubscribe/" in copy["List-Unsubscribe"]
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/my/letters/{letter.id}/share" in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_copy_is_its_template_rendered_once_per_language_then_filled(app, language, monkeypatch):
    """The copy's text is what rendering email/letter_copy.txt gives, the template rendered once per language,
    not per letter; values holding braces, percent signs or the stencil's own markers stay as typed."""
    from types import SimpleNamespace

    from jinja2 import Template

    from crm.campaigns import sharing
    from crm.lib.i18n import in_language

    renders = []
    original = Template.render
    monkeypatch.setattr(Template, "render", lambda self, *a, **k: renders.append(1) or original(self, *a, **k))
    monkeypatch.setattr(sharing, "_copy_stencils", {})
    user = SimpleNamespace(id=7, name="Dr. {{ Amal }} 100% \ue000x\ue001", email="amal@example.org", language=language)
    campaign = SimpleNamespace(name="Skills {% to %} help")
    for n in (1, 2):
        letter = {"subject": f"Subject {n} %(x)s", "body": f"Body {n}\n\n{{{{ no }}}}", "signature": "--\nAmal"}
        with app.test_request_context("/"):
            text = sharing.copy_of_letter(user, letter, "Rob \ue001", campaign, 40 + n)["text_body"]
            with in_language(language):
                expected = app.jinja_env.get_template("email/letter_copy.txt").render(
                    letter=letter,
                    member_name=user.name,
                    target="Rob \ue001",
                    campaign=campaign,
                    share_url=f"http://localhost/my/letters/{40 + n}/share",
                )
        assert text.startswith(expected + "\n") or text.startswith(expected), (text, expected)
    assert len(renders) == 1 + 2  # the stencil once; the two renders above are the test's own


def test_the_copy_carries_nothing_of_another_members_letter(app, browser, make_campaign, make_member, mailbox):
    campaign = make_campaign()
    first = make_member(riding=1, name="Dr. Bola Adeyemi", email="bola@example.org", postal_code="L1S 9Z9")
    second = make_member(riding=1, name="Dr. Amal Farouk", email="amal@example.org", postal_code="L1S 1A1")
    recipient = f"district-{district_id(app, 1)}"
    browser.login(first.email)
    send_letter(browser, campaign, recipient, **{"block-3": OTHER_STORY})
    browser.logout()
    browser.login(second.email)
    send_letter(browser, campaign, recipient)
    [copy] = _copies(mailbox, "amal@example.org")
    text = _body(copy) + copy["Subject"]
    assert STORY in text
    for other in (OTHER_STORY, "Bola", "Adeyemi", "bola@example.org", "L1S 9Z9"):
        assert other not in text
    assert len(_copies(mailbox, "bola@example.org")) == 1


def test_a_member_who_unsubscribed_gets_no_copy_but_the_letter_goes(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1, email="quiet@example.org")
    session.add(Suppression(address="quiet@example.org", reason="unsubscribe"))
    session.commit()
    browser.login(member.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    kinds = set(session.scalars(select(OutboundMessage.kind)))
    assert "letter" in kinds and "letter_copy" not in kinds


def test_a_letter_sent_on_email_confirmation_sends_the_copy_too(app, browser, make_campaign, mailbox, session):
    campaign = make_campaign()
    join = _join_link(_write_as_visitor(app, browser, campaign))
    assert browser.post(join, NEW_MEMBER, page=join).status_code == 302
    confirmed = browser.get(mailbox.last_link("/confirm/"))
    letter = session.scalar(select(Letter))
    assert f"/my/letters/{letter.id}/share" in unquote(confirmed.headers["Location"])
    [copy] = _copies(mailbox, "nadia@example.org")
    assert STORY in _body(copy) and "L1S 2B3" in _body(copy)


# --- the share page -------------------------------------------------------------------------------------------


def test_share_links_carry_the_hashtag_and_the_referral_link_url_encoded(app, browser, sent, session):
    campaign, member, letter_id = sent
    links = _links(_share_page(browser, letter_id))
    assert set(links) == {"email", "whatsapp", "x", "facebook", "linkedin"}
    code = _code(session, member.id)
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}", code)  # random: a digit may match the id by chance
    url = f"http://localhost/campaigns/{campaign.slug}?ref={code}"
    for key, href in links.items():
        assert " " not in href and "\n" not in href, key  # encoded
        query = parse_qs(urlsplit(href).query)
        everything = " ".join(value for values in query.values() for value in values)
        assert url in everything, key
        assert "#skillstohelp" in everything or query.get("hashtags") == ["skillstohelp"], key
    assert links["email"].startswith("mailto:?subject=") and quote(url, safe="") in links["email"]
    assert links["whatsapp"].startswith("https://wa.me/?text=") and "%23skillstohelp" in links["whatsapp"]
    assert urlsplit(links["x"]).netloc == "x.com" and "facebook.com" in links["facebook"]
    assert "linkedin.com" in links["linkedin"]


def test_the_share_page_loads_nothing_from_other_sites_and_works_without_javascript(browser, sent):
    _, _, letter_id = sent
    page = _share_page(browser, letter_id)
    assert not re.search(r'<script[^>]+src="https?://', page)
    assert not re.search(r'<link[^>]+href="https?://', page)
    assert '<form method="post"' in page and 'name="csrf_token"' in page


def test_the_referral_code_is_stable_and_each_members_own(app, browser, sent, make_member, make_campaign, session):
    campaign, member, letter_id = sent
    first = _links(_share_page(browser, letter_id))
    assert _links(_share_page(browser, letter_id)) == first
    other = make_member(riding=1)
    browser.logout()
    browser.login(other.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    other_letter = session.scalar(select(Letter.id).where(Letter.user_id == other.id))
    _share_page(browser, other_letter)
    assert _code(session, other.id) != _code(session, member.id)


def test_another_members_share_page_is_not_found(app, browser, sent, make_member):
    _, _, letter_id = sent
    browser.logout()
    browser.login(make_member(riding=1).email)
    assert browser.get(f"/my/letters/{letter_id}/share").status_code == 404
    assert (
        browser.post(f"/my/letters/{letter_id}/share", {"addresses": "x@example.org"}, page="/my/letters").status_code
        == 404
    )


def test_the_letter_in_my_letters_leads_to_the_share_page(browser, sent):
    _, _, letter_id = sent
    assert f'href="/my/letters/{letter_id}/share"' in browser.get(f"/my/letters/{letter_id}").get_data(as_text=True)


# --- "send this to a colleague" -------------------------------------------------------------------------------


def test_a_colleague_gets_one_plain_invitation_naming_the_member(browser, sent, session, mailbox):
    campaign, member, letter_id = sent
    url = f"/my/letters/{letter_id}/share"
    note = "Samir, you told me about your years in Damascus <b>&</b> this is how to be heard."
    response = browser.post(url, {"addresses": "samir@example.org,\n Lina@Example.org", "note": note})
    assert response.status_code == 302
    assert "Sent: 2 invitations" in browser.get(url).get_data(as_text=True)
    invites = _invites(session)
    assert sorted(m.to_address for m in invites) == ["lina@example.org", "samir@example.org"]
    code = _code(session, member.id)
    for message in invites:
        assert "Dr. Amal Farouk" in message.subject and "Dr. Amal Farouk" in message.text_body
        assert f"/campaigns/{campaign.slug}?ref={code}" in message.text_body
        assert note in message.text_body and message.html_body is None  # plain text: nothing to render
        assert STORY not in message.text_body and "L1S 1A1" not in message.text_body
    delivered = [m for m in mailbox.deliver() if m["To"] == "samir@example.org"]
    assert len(delivered) == 1 and delivered[0].get_body(preferencelist=("html",)) is None
    audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "invite_colleague")).all()
    assert sorted(e.entity_id for e in audited) == sorted(m.id for m in invites)
    assert all(e.actor_id == member.id for e in audited)


@pytest.mark.parametrize(
    ("addresses", "note", "message"),
    [
        (", ".join(f"c{n}@example.org" for n in range(200)), "", f"at most {MAX_COLLEAGUES} colleagues"),
        ("a@example.org b@example.org c@example.org d@example.org e@example.org f@example.org", "", "you entered 6"),
        ("not-an-address", "", "is not an email address"),
        ("ok@example.org, two@@example.org", "", "is not an email address"),
        ("", "", "Enter at least one"),
        (OWN_MPP, "", "belongs to an official in ITPO"),
        ("ok@example.org, " + OWN_MPP.upper(), "", "belongs to an official in ITPO"),
        ("amal@example.org", "", "your own address"),
        ("AMAL@example.org", "", "your own address"),
        ("ok@example.org", "Read https://evil.example/login now", "Leave links out"),
        ("ok@example.org", "x" * 501, "500 characters"),
        ("ok@example.org", "x" * 50_000, "500 characters"),
    ],
)
def test_the_colleague_form_refuses_with_a_clear_message(browser, sent, session, addresses, note, message):
    _, _, letter_id = sent
    url = f"/my/letters/{letter_id}/share"
    response = browser.post(url, {"addresses": addresses, "note": note})
    assert response.status_code == 200
    assert message in unescape(response.get_data(as_text=True))
    assert _invites(session) == []


def test_an_address_invited_lately_or_unsubscribed_is_refused(browser, sent, session):
    _, _, letter_id = sent
    url = f"/my/letters/{letter_id}/share"
    assert browser.post(url, {"addresses": "samir@example.org"}).status_code == 302
    again = browser.post(url, {"addresses": "samir@example.org"}).get_data(as_text=True)
    assert "already been invited" in again
    session.add(Suppression(address="quiet@example.org", reason="unsubscribe"))
    session.commit()
    assert "asked ITPO not to email" in browser.post(url, {"addresses": "quiet@example.org"}).get_data(as_text=True)
    assert len(_invites(session)) == 1


def test_the_note_is_shown_escaped_when_the_form_comes_back(browser, sent):
    _, _, letter_id = sent
    note = '<script>alert("x")</script>'
    page = browser.post(f"/my/letters/{letter_id}/share", {"addresses": "nope", "note": note}).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_colleague_form_needs_its_csrf_token(browser, sent, session):
    _, _, letter_id = sent
    response = browser.client.post(f"/my/letters/{letter_id}/share", data={"addresses": "samir@example.org"})
    assert response.status_code == 400 and _invites(session) == []


def test_the_colleague_form_is_rate_limited_per_member(app, browser, sent, make_member, session):
    campaign, _, letter_id = sent
    url = f"/my/letters/{letter_id}/share"
    for n in range(5):
        assert browser.post(url, {"addresses": f"bad-{n}"}).status_code == 200
    assert browser.post(url, {"addresses": "samir@example.org"}).status_code == 429
    assert _invites(session) == []
    browser.logout()
    other = make_member(riding=1)
    browser.login(other.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    own = session.scalar(select(Letter.id).where(Letter.user_id == other.id))
    assert browser.post(f"/my/letters/{own}/share", {"addresses": "lina@example.org"}).status_code == 302


def test_a_closed_campaign_offers_no_links_and_sends_no_invitation(browser, sent, session):
    from crm.campaigns.models import Campaign

    campaign, _, letter_id = sent
    session.get(Campaign, campaign.id).status = "closed"
    session.commit()
    page = _share_page(browser, letter_id)
    assert "not accepting letters" in page and not _links(page)
    assert browser.post(f"/my/letters/{letter_id}/share", {"addresses": "samir@example.org"}).status_code == 200
    assert _invites(session) == []


# --- referral sign-ups ----------------------------------------------------------------------------------------

PASSWORD = "a long enough passphrase 42"


def _join_from(app, slug: str, query: str, email: str) -> None:
    """A new visitor opens the campaign with `query`, then joins from the page's own "Join" link."""
    from tests.conftest import Browser

    visitor = Browser(app.test_client())
    assert visitor.get(f"/campaigns/{slug}?{query}").status_code in (200, 400)  # (a NUL is refused app-wide)
    page = visitor.get(f"/campaigns/{slug}").get_data(as_text=True)
    join = unescape(re.search(r'href="(/join\?[^"]+)"', page).group(1))
    data = {**NEW_MEMBER, "email": email, "campaign": slug}
    response = visitor.post(join, data, page=join)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def _referrals(session) -> list[tuple[int, int]]:
    session.expire_all()
    return [(r.campaign_id, r.referrer_id) for r in session.scalars(select(CampaignReferral))]


def _dashboard(app, campaign) -> str:
    from tests.conftest import Browser

    lead = Browser(app.test_client())
    lead.login(campaign.lead.email)
    return lead.get(f"/dashboards/campaigns/{campaign.id}").get_data(as_text=True)


def test_a_visitor_who_joins_through_a_referral_link_is_counted_on_the_dashboard(app, browser, sent, session):
    campaign, member, letter_id = sent
    _share_page(browser, letter_id)
    code = _code(session, member.id)
    _join_from(app, campaign.slug, f"ref={code}", "friend1@example.org")
    assert _referrals(session) == [(campaign.id, member.id)]
    referred = re.search(r'id="referred"><strong>([^<]+)</strong>', _dashboard(app, campaign)).group(1)
    assert referred == "fewer than 5"  # small counts are never shown exactly
    for n in range(2, 6):
        _join_from(app, campaign.slug, f"ref={code}", f"friend{n}@example.org")
    assert len(_referrals(session)) == 5
    assert re.search(r'id="referred"><strong>5</strong>', _dashboard(app, campaign))


@pytest.mark.parametrize(
    "query",
    [
        "ref=",
        "ref=zzzzzzzzzz",
        "ref=" + "x" * 5000,
        "ref=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "ref=' OR 1=1 --",
        "ref=d%C3%A9mo",
        "ref=1",
        "ref=a&ref=b",
        "ref=%00",
    ],
)
def test_a_bad_or_unknown_referral_code_is_ignored_silently(app, browser, sent, session, query):
    campaign, _, letter_id = sent
    _share_page(browser, letter_id)
    _join_from(app, campaign.slug, query, "someone@example.org")
    assert _referrals(session) == []
    assert session.scalar(select(func.count()).select_from(ReferralCode)) == 1


def test_a_referral_to_a_closed_campaign_is_not_counted(app, browser, sent, session):
    from crm.campaigns.models import Campaign

    campaign, member, letter_id = sent
    _share_page(browser, letter_id)
    code = _code(session, member.id)
    from tests.conftest import Browser

    visitor = Browser(app.test_client())
    visitor.get(f"/campaigns/{campaign.slug}?ref={code}")
    session.get(Campaign, campaign.id).status = "closed"
    session.commit()
    data = {**NEW_MEMBER, "email": "late@example.org"}
    assert visitor.post("/join", data, page="/join").status_code == 302
    assert _referrals(session) == []


def test_an_erased_member_loses_the_code_and_the_sign_ups_stay_counted(app, browser, sent, session):
    from crm.auth.models import User
    from crm.members.privacy import erase_member, member_data

    campaign, member, letter_id = sent
    _share_page(browser, letter_id)
    code = _code(session, member.id)
    assert member_data(session, session.get(User, member.id))["referral_code"] == [{"referral_code": code}]
    _join_from(app, campaign.slug, f"ref={code}", "friend@example.org")
    erase_member(session, session.get(User, member.id))
    session.commit()
    assert session.scalar(select(func.count()).select_from(ReferralCode)) == 0
    assert len(_referrals(session)) == 1


def test_any_official_or_directory_address_is_refused_not_only_the_members_own_mpp(browser, sent, session):
    from crm.stakeholders.models import ContactPoint, ElectedOffice, Person

    _, _, letter_id = sent
    other_mpp = session.scalar(
        select(ElectedOffice.legislature_email).where(
            ElectedOffice.legislature_email.is_not(None), ElectedOffice.legislature_email != OWN_MPP
        )
    )
    registrar = Person(full_name="A Registrar")
    session.add(registrar)
    session.flush()
    session.add(ContactPoint(person_id=registrar.id, kind="email", value="Registrar@CPSO.example"))
    session.commit()
    url = f"/my/letters/{letter_id}/share"
    for address in (other_mpp, "registrar@cpso.example"):
        page = unescape(browser.post(url, {"addresses": address}).get_data(as_text=True))
        assert "belongs to an official in ITPO" in page, address
    assert _invites(session) == []
