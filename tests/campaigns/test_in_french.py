"""English and French on the member's path (issue 25): a pseudo-locale run finds any unmarked text on the member and
visitor pages, French pages read French, and emails go out in the recipient's language (English when unset)."""

from __future__ import annotations

import os
import re
from gettext import NullTranslations
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.campaigns.conftest import send_letter, write_url

# Common English words: found outside a translated string on a page, they are text someone forgot to mark.
ENGLISH = {
    "the", "your", "you", "and", "of", "to", "is", "in", "for", "with", "this", "our", "we", "has", "not", "yet",
    "on", "or", "are", "it", "by", "from", "see", "can", "will", "at", "have", "what", "how", "who", "more", "all",
    "my", "here", "free", "log", "join", "write", "letter", "letters", "send", "home", "programs", "campaign",
    "please", "email", "password", "name", "postal", "code", "riding", "events", "upcoming", "sent", "status",
}  # fmt: skip


class Pseudo(NullTranslations):
    """Marks every translated string ⟦like this⟧, so what is left unmarked on a page was never translated."""

    def gettext(self, message):
        return f"⟦{message}⟧"

    def ngettext(self, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    def pgettext(self, context, message):
        return f"⟦{message}⟧"

    def npgettext(self, context, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    ugettext, ungettext, upgettext, unpgettext = gettext, ngettext, pgettext, npgettext


@pytest.fixture
def pseudo(monkeypatch):
    import flask_babel

    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: Pseudo())


class _Visible(HTMLParser):
    """The text a person reads or hears: text nodes, read-aloud attributes, the words on submit buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("aria-label", "title", "placeholder", "alt"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def unmarked_english(html: str, data: list[str]) -> list[str]:
    """English words outside ⟦…⟧ once `data` (names of people, ridings, parties, campaigns: not ours to
    translate) is taken out."""
    parser = _Visible()
    parser.feed(html)
    text = " \n ".join(parser.parts)
    while True:
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if stripped == text:
            break
        text = stripped
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    if os.environ.get("I18N_DEBUG"):
        print(re.sub(r"\s+", " ", text))
    return [word for word in re.findall(r"[A-Za-z]+", text) if word.lower() in ENGLISH and not word.isupper()]


def _reference_names(app) -> list[str]:
    from crm.campaigns.models import Campaign, Letter
    from crm.programs.models import Event, Program
    from crm.reference.models import ElectoralDistrict, Jurisdiction
    from crm.stakeholders.models import ElectedOffice, Person

    with app.app_context():
        names = [
            *db.session.scalars(select(ElectoralDistrict.name)),
            *db.session.scalars(select(Person.full_name)),
            *db.session.scalars(select(ElectedOffice.party).where(ElectedOffice.party.is_not(None))),
            *db.session.scalars(select(Campaign.name)),
            *db.session.scalars(select(Jurisdiction.name)),
            *db.session.scalars(select(Jurisdiction.legislature_name)),
            *db.session.scalars(select(Program.name)),
            *db.session.scalars(select(Program.purpose)),
            *db.session.scalars(select(Event.title)),
            *db.session.scalars(select(Letter.subject)),
            *(line for body in db.session.scalars(select(Letter.body)) for line in body.splitlines()),
            *(line for text in db.session.scalars(select(Letter.signature)) for line in (text or "").splitlines()),
        ]
        db.session.remove()
    return [name for name in names if name]


def _page(browser, url: str) -> str:
    """The page at `url`, after any redirect (werkzeug's own redirect page is not ours to translate)."""
    return browser.get(url, follow_redirects=True).get_data(as_text=True)


def test_visitor_and_member_pages_mark_every_word(app, browser, make_campaign, make_member, pseudo):
    """Every page of the member's path, rendered with a pseudo-locale: no English word is left unmarked."""
    campaign = make_campaign(name="Zorba")
    member = make_member(name="Amina Diallo", email="amina@example.org")
    pages = ["/", "/join", "/login", "/password/forgot", "/confirm", "/campaigns/", f"/campaigns/{campaign.slug}"]
    pages += ["/programs/", write_url(campaign), "/nowhere"]
    visitor = {url: _page(browser, url) for url in pages}
    browser.login(member.email)
    with app.app_context():
        from crm.members.models import MemberProfile

        district = db.session.scalar(select(MemberProfile.district_id).where(MemberProfile.user_id == member.id))
        db.session.remove()
    send_letter(browser, campaign, f"district-{district}")
    with app.app_context():
        from crm.campaigns.models import Letter

        letter_id = db.session.scalar(select(Letter.id).where(Letter.user_id == member.id))
        db.session.remove()
    member_pages = ["/home", "/my/letters", f"/my/letters/{letter_id}", f"/my/letters/{letter_id}/share"]
    member_pages += ["/account/profile", "/account/data", "/account/email", "/password/change", write_url(campaign)]
    member_pages += [write_url(campaign, f"district-{district}")]
    seen = visitor | {url: _page(browser, url) for url in member_pages}
    data = _reference_names(app) + ["Amina Diallo", "amina@example.org", "Zorba", "#skillstohelp", "ITPO"]
    found = {url: words for url, html in seen.items() if (words := unmarked_english(html, data))}
    assert not found, f"English words outside gettext: {found}"


def test_the_check_finds_unmarked_words():
    assert unmarked_english("<p>⟦Bonjour⟧ Amina</p>", ["Amina"]) == []
    assert unmarked_english('<p>⟦x⟧</p><button aria-label="Show the menu">', []) == ["the"]
    assert unmarked_english('<input type="submit" value="Send my letter">', []) == ["Send", "my", "letter"]


def _french_member(make_member, app, **kwargs):
    from crm.auth.models import User

    member = make_member(**kwargs)
    with app.app_context():
        db.session.get(User, member.id).language = "fr"
        db.session.commit()
        db.session.remove()
    return member


def test_a_french_member_reads_french_pages_and_gets_french_emails(app, browser, make_campaign, make_member, mailbox):
    campaign = make_campaign(name="Zorba")
    member = _french_member(make_member, app, name="Amina Diallo", email="amina@example.org")
    browser.login(member.email)
    home = browser.get("/home", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in home and "Bienvenue, Amina Diallo" in home
    with app.app_context():
        from crm.members.models import MemberProfile

        district = db.session.scalar(select(MemberProfile.district_id).where(MemberProfile.user_id == member.id))
        db.session.remove()
    response = send_letter(browser, campaign, f"district-{district}")
    assert response.status_code == 302
    sent = mailbox.deliver()
    copy = next(message for message in sent if message["To"] == "amina@example.org")
    body = copy.get_body(preferencelist=("plain",)).get_content()
    assert copy["Subject"].startswith("Une copie de votre lettre à")
    assert "Bonjour Amina Diallo," in body and "Merci d'avoir écrit." in body
    assert "Ce courriel a été envoyé par" in body and "Se désabonner (un clic, sans connexion)" in body


def test_a_member_with_no_language_gets_english_email_whatever_the_browser(app, browser, make_user, mailbox):
    """The reset email follows the account (no language: English), not the French page it was asked from."""
    member = make_user(email="noel@example.org")
    browser.client.set_cookie("lang", "fr")
    page = browser.get("/password/forgot").get_data(as_text=True)
    assert "Réinitialisez votre mot de passe" in page
    browser.post("/password/forgot", {"email": member.email})
    body = mailbox.deliver()[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Someone (we hope you) asked to reset the password" in body


def test_a_francophone_joins_in_french_and_is_confirmed_in_french(app, browser, mailbox, seeded):
    browser.client.set_cookie("lang", "fr")
    response = browser.post(
        "/join",
        {
            "full_name": "Fatou Ndiaye",
            "email": "fatou@example.org",
            "password": "un mot de passe assez long",
            "postal_code": "K1A 0B1",
            "province": "ON",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    message = mailbox.deliver()[-1]
    assert message["Subject"] == "Confirmez votre courriel pour ITPO"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Fatou Ndiaye," in body and "Veuillez confirmer votre adresse courriel" in body
    from crm.auth.models import User

    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == "fatou@example.org")) == "fr"
        db.session.remove()


FRENCH_BLOCKS = [
    dict(kind="locked", body="Madame, Monsieur {{ representative_name }},\n\nJe suis {{ member_name }}."),
    dict(kind="personal", body="Votre histoire.", label="Mon histoire", min_length=20),
    dict(kind="locked", body="Veuillez agréer mes salutations distinguées,\n{{ member_name }}"),
]


def _add_french(app, campaign, blocks=FRENCH_BLOCKS, subject="Une lettre de {{ member_name }}"):
    from crm.campaigns import services
    from crm.campaigns.models import Campaign

    with app.app_context():
        template, _ = services.save_template(
            db.session,
            db.session.get(Campaign, campaign.id),
            subject=subject,
            actor_id=None,
            blocks=[services.BlockInput(**block) for block in blocks],
            language="fr",
        )
        db.session.commit()
        template_id = template.id
        db.session.remove()
    return template_id


def test_a_french_template_may_not_use_a_placeholder_the_english_one_lacks(app, make_campaign):
    from crm.lib.errors import ValidationError

    campaign = make_campaign(name="Zorba")
    blocks = [dict(kind="locked", body="Bonjour {{ member_name }}, {{ representative_party }}")]
    with pytest.raises(ValidationError) as refused:
        _add_french(app, campaign, blocks=blocks + FRENCH_BLOCKS[1:])
    assert "placeholders the English letter does not" in refused.value.message


def test_a_member_writing_in_french_to_an_office_that_prefers_french_sends_a_french_letter(
    app, browser, make_campaign, make_member
):
    from crm.campaigns.models import Letter
    from crm.members.models import MemberProfile
    from crm.stakeholders.models import ElectedOffice

    campaign = make_campaign(name="Zorba")
    french_id = _add_french(app, campaign)
    member = _french_member(make_member, app, name="Amina Diallo", email="amina@example.org")
    with app.app_context():
        district = db.session.scalar(select(MemberProfile.district_id).where(MemberProfile.user_id == member.id))
        for office in db.session.scalars(select(ElectedOffice).where(ElectedOffice.district_id == district)):
            office.prefers_french = True
        db.session.commit()
        db.session.remove()
    browser.login(member.email)
    page = browser.get(write_url(campaign, f"district-{district}")).get_data(as_text=True)
    assert f'name="template_id" value="{french_id}"' in page and "Mon histoire" in page
    assert "letter_lang=en" in page  # the member may write in English instead
    english = browser.get(write_url(campaign, f"district-{district}") + "&letter_lang=en").get_data(as_text=True)
    assert f'value="{campaign.template_id}"' in english
    story = "J'ai été formée à Dakar et j'ai exercé la médecine d'urgence pendant huit ans."
    url = write_url(campaign, f"district-{district}")
    response = browser.post(url, {"template_id": str(french_id), "block-2": story, "send": "Envoyer"}, page=url)
    assert response.status_code == 302
    with app.app_context():
        letter = db.session.scalar(select(Letter).where(Letter.user_id == member.id))
        assert (letter.language, letter.template_id) == ("fr", french_id)
        assert letter.subject == "Une lettre de Amina Diallo"
        assert (
            "· circonscription de " in letter.signature and "Je réside dans votre circonscription" in letter.signature
        )
        assert "riding of" not in letter.signature and "I am a constituent" not in letter.signature
        assert letter.message.text_body.endswith(letter.signature)  # the office gets it signed in French
        db.session.remove()


def test_without_a_preference_the_office_gets_the_english_letter_by_default(app, browser, make_campaign, make_member):
    campaign = make_campaign(name="Zorba")
    _add_french(app, campaign)
    member = _french_member(make_member, app, name="Amina Diallo", email="amina@example.org")
    browser.login(member.email)
    page = browser.get(write_url(campaign)).get_data(as_text=True)
    assert page  # the choose page, in French
    with app.app_context():
        from crm.members.models import MemberProfile

        district = db.session.scalar(select(MemberProfile.district_id).where(MemberProfile.user_id == member.id))
        db.session.remove()
    letter_page = browser.get(write_url(campaign, f"district-{district}")).get_data(as_text=True)
    assert f'name="template_id" value="{campaign.template_id}"' in letter_page
    assert "letter_lang=fr" in letter_page


def test_a_french_page_names_the_riding_and_party_in_french(app, browser, make_member):
    member = _french_member(make_member, app, riding=124, email="nord@example.org")
    browser.login(member.email)
    home = browser.get("/home").get_data(as_text=True)
    assert "Mushkegowuk—Baie James" in home and "Mushkegowuk—James Bay" not in home
    browser.post("/language", {"lang": "en", "next": "/home"}, page="/home")
    assert "Mushkegowuk—James Bay" in browser.get("/home").get_data(as_text=True)


def test_the_programs_page_names_the_seeded_programs_in_french(browser, app):
    from crm.programs.services import seed_programs

    with app.app_context():
        seed_programs(db.session)
        db.session.commit()
        db.session.remove()
    browser.client.set_cookie("lang", "fr")
    page = browser.get("/programs/").get_data(as_text=True)
    assert "Réussir le CaRMS" in page and "Cracking the CaRMS" not in page


def test_a_french_letter_names_the_riding_and_party_in_french(app, make_campaign):
    """Placeholders work the same in both languages, in each language's words: Brampton Centre is Brampton-Centre."""
    from crm.campaigns.compose import letter_context
    from crm.campaigns.models import Campaign
    from crm.campaigns.recipients import Recipient
    from crm.reference.models import ElectoralDistrict

    campaign = make_campaign(name="Zorba")
    with app.test_request_context():
        district = db.session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.number == 8))
        found = db.session.get(Campaign, campaign.id)
        recipient = Recipient(
            None, None, district, "mpp@example.org", "MPP", None, member_riding=(district.name, "7", district.ocd_id)
        )
        french = letter_context(db.session, found, None, recipient, "fr")
        english = letter_context(db.session, found, None, recipient, "en")
        minister = Recipient(None, None, None, "m@example.org", "Minister", "Ontario Liberal Party")
        minister.member_riding = recipient.member_riding  # a fixed target: the writer's riding is their own
        to_minister = letter_context(db.session, found, None, minister, "fr")
        db.session.remove()
    assert (english["riding_name"], english["member_riding"]) == ("Brampton Centre", "Brampton Centre")
    assert (french["riding_name"], french["member_riding"]) == ("Brampton-Centre", "Brampton-Centre")
    assert (english["representative_party"], french["representative_party"]) == ("independent", "indépendant")
    assert (to_minister["member_riding"], to_minister["riding_name"]) == ("Brampton-Centre", "")
    assert to_minister["representative_party"] == "Parti libéral de l'Ontario"
