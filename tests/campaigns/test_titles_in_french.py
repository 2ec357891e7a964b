"""Members' titles in French (issue 25): an MPP is « député(e) provincial(e) » in a French letter and on French pages,
never "MPP"; what someone typed as a title stays as typed."""

from __future__ import annotations

from sqlalchemy import select

from crm.extensions import db
from crm.reference.names import title_in
from tests.campaigns.conftest import DEFAULT_BLOCKS, write_url

ENGLISH_BLOCKS = [
    dict(kind="locked", body="Dear {{ representative_title }} {{ representative_name }} ({{ riding_name }}),"),
    *DEFAULT_BLOCKS,
]
FRENCH_BLOCKS = [
    dict(kind="locked", body="À {{ representative_name }}, {{ representative_title }} de {{ riding_name }},"),
    dict(kind="personal", body="Votre histoire.", label="Mon histoire", min_length=20),
    dict(kind="locked", body="Veuillez agréer mes salutations distinguées,\n{{ member_name }}"),
]


def _french_campaign(app, make_campaign) -> tuple:
    from crm.campaigns import services
    from crm.campaigns.models import Campaign

    campaign = make_campaign(name="Zorba", blocks=ENGLISH_BLOCKS, subject="To my {{ representative_title }}")
    with app.app_context():
        template, _ = services.save_template(
            db.session,
            db.session.get(Campaign, campaign.id),
            subject="À mon ou ma {{ representative_title }}",
            actor_id=None,
            blocks=[services.BlockInput(**block) for block in FRENCH_BLOCKS],
            language="fr",
        )
        db.session.commit()
        french_id = template.id
        db.session.remove()
    return campaign, french_id


def _french_member(app, make_member):
    from crm.auth.models import User
    from crm.members.models import MemberProfile
    from crm.stakeholders.models import ElectedOffice

    member = make_member(riding=8, name="Amina Diallo", email="amina@example.org")  # Brampton Centre
    with app.app_context():
        db.session.get(User, member.id).language = "fr"
        district = db.session.scalar(select(MemberProfile.district_id).where(MemberProfile.user_id == member.id))
        for office in db.session.scalars(select(ElectedOffice).where(ElectedOffice.district_id == district)):
            office.prefers_french = True  # the French letter is the one offered
        db.session.commit()
        db.session.remove()
    return member, district


def test_a_french_letter_to_an_mpp_names_them_depute_provincial_never_mpp(app, browser, make_campaign, make_member):
    from crm.campaigns.models import Letter

    campaign, french_id = _french_campaign(app, make_campaign)
    member, district = _french_member(app, make_member)
    browser.login(member.email)
    url = write_url(campaign, f"district-{district}")
    story = "J'ai été formée à Dakar et j'ai exercé la médecine d'urgence pendant huit ans."
    response = browser.post(url, {"template_id": str(french_id), "block-2": story, "send": "Envoyer"}, page=url)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        letter = db.session.scalar(select(Letter).where(Letter.user_id == member.id))
        sent = (letter.subject, letter.body, letter.message.text_body)
        db.session.remove()
    assert sent[0] == "À mon ou ma député(e) provincial(e)"
    assert ", député(e) provincial(e) de Brampton-Centre," in sent[1]
    assert not any("MPP" in text for text in sent)


def test_the_english_letter_keeps_mpp(app, make_campaign):
    """The same placeholder in the English letter: the legislature's own abbreviation."""
    from crm.campaigns.compose import letter_context
    from crm.campaigns.models import Campaign
    from crm.campaigns.recipients import Recipient
    from crm.reference.models import ElectoralDistrict

    campaign = make_campaign(name="Zorba")
    with app.test_request_context():
        district = db.session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.number == 8))
        found = db.session.get(Campaign, campaign.id)
        recipient = Recipient(None, None, district, "mpp@example.org", "MPP", None)
        titles = [
            letter_context(db.session, found, None, recipient, language)["representative_title"]
            for language in ("en", "fr")
        ]
        db.session.remove()
    assert titles == ["MPP", "député(e) provincial(e)"]


def test_french_member_pages_name_the_mpp_depute_provincial(app, browser, make_campaign, make_member):
    campaign, _ = _french_campaign(app, make_campaign)
    member, district = _french_member(app, make_member)
    browser.login(member.email)
    home = browser.get("/home").get_data(as_text=True)
    assert "Écrivez à votre député(e) provincial(e)" in home
    letter_page = browser.get(write_url(campaign, f"district-{district}")).get_data(as_text=True)
    assert "député(e) provincial(e), Brampton-Centre" in letter_page and "MPP" not in letter_page


def test_a_french_staff_page_gives_a_roster_mpp_the_french_title(app, browser, make_user, seeded):
    from crm.stakeholders.models import Person

    with app.app_context():
        person_id, english = db.session.execute(
            select(Person.id, Person.title).where(Person.title == "MPP, Ottawa South")
        ).one()
        db.session.remove()
    lead = make_user(role="lead")
    browser.login(lead.email)
    browser.client.set_cookie("lang", "fr")
    page = browser.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert "député(e) provincial(e), Ottawa-Sud" in page and english not in page


def test_a_title_a_refresh_wrote_is_translated_and_a_typed_one_kept():
    assert title_in("fr", "MNA") == "député(e) à l'Assemblée nationale"
    assert title_in("fr", "Former MPP, Ottawa South") == "ex-député(e) provincial(e), Ottawa-Sud"
    assert title_in("fr", "MPP, Nickel Belt") == "député(e) provincial(e), Nickel Belt"
    assert title_in("fr", "Minister of Health") == "Minister of Health"
    assert title_in("fr", "Former Registrar") == "Former Registrar"
    assert title_in("en", "MPP, Ottawa South") == "MPP, Ottawa South"


def test_a_french_lead_picks_the_legislature_by_its_french_name(app, browser, make_user, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    english = browser.get("/manage/campaigns/new").get_data(as_text=True)
    assert "Ontario: Legislative Assembly of Ontario (MPP)" in english
    browser.client.set_cookie("lang", "fr")
    page = browser.get("/manage/campaigns/new").get_data(as_text=True)
    assert "Ontario : Assemblée législative de l&#39;Ontario (député(e) provincial(e))" in page
    assert "Québec : Assemblée nationale du Québec" in page and "Legislative Assembly" not in page
