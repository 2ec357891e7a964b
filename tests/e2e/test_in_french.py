"""A francophone newcomer in real Chromium: switches to French, joins, confirms from a French email, finds their
MPP, writes and sends a French letter; axe-core passes on the pages in both languages; screenshots of both."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def _bilingual_campaign(app) -> str:
    from sqlalchemy import select

    from crm.campaigns import services
    from crm.extensions import db
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import ElectedOffice

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session,
            actor_id=None,
            name="Compétences pour aider",
            hashtag="#skillstohelp",
            kind="own_representative",
            jurisdiction_id=ontario,
        )
        block = services.BlockInput
        for language, greeting, label, closing in (
            ("en", "Dear {{ representative_name }},", "Your story", "Sincerely,"),
            ("fr", "Madame, Monsieur {{ representative_name }},", "Votre histoire", "Salutations distinguées,"),
        ):
            services.save_template(
                db.session,
                campaign,
                subject="{{ member_name }} {{ hashtag }}",
                actor_id=None,
                language=language,
                blocks=[
                    block("locked", greeting + "\n\n{{ member_name }}, {{ member_riding }}."),
                    block("personal", label, label=label, min_length=40),
                    block("locked", closing + "\n{{ member_name }}"),
                ],
            )
        for office in db.session.scalars(select(ElectedOffice).where(ElectedOffice.current.is_(True))):
            office.prefers_french = True  # every office here prefers French letters
        campaign.status = "live"
        db.session.commit()
        slug = campaign.slug
        db.session.remove()
    return slug


def _serious(page) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_francophone_joins_finds_their_mpp_and_sends_a_french_letter(page, live_server):
    base = live_server.url
    slug = _bilingual_campaign(live_server.app)
    page.goto(f"{base}/campaigns/{slug}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _serious(page) == []
    screenshot(page, "fr-00-campaign-in-english")

    page.get_by_role("button", name="Français").click()  # the EN | FR switch keeps the page
    expect(page.get_by_role("heading", name="Compétences pour aider")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert _serious(page) == []
    screenshot(page, "fr-01-campaign-in-french")
    page.get_by_role("link", name="Adhérer à ITPO (gratuit) et écrire votre lettre").click()

    page.get_by_label("Nom complet").fill("Dre Fatou Ndiaye")
    page.get_by_label("Courriel", exact=True).fill("fatou@example.org")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Code postal").fill("L1S 2B3")
    assert _serious(page) == []
    page.get_by_role("button", name="Adhérer à ITPO").click()
    expect(page.get_by_text("Nous vous avons envoyé un courriel")).to_be_visible()

    mine = page.get_by_role("row").filter(has_text="fatou@example.org")
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.count():
            break
        page.wait_for_timeout(200)
    mine.first.get_by_role("link", name="Confirmez votre courriel pour ITPO").click()
    expect(page.get_by_text("Veuillez confirmer votre adresse courriel")).to_be_visible()
    screenshot(page, "fr-02-confirmation-email")
    page.locator('a[href*="/confirm/"]').first.click()
    expect(page.get_by_text("votre courriel est confirmé")).to_be_visible()

    page.get_by_label("Courriel", exact=True).fill("fatou@example.org")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_text("Étape 1 sur 2")).to_be_visible()
    assert _serious(page) == []
    screenshot(page, "fr-03-find-your-mpp")
    page.get_by_role("link", name="Écrire à Rob Cerjanec").click()

    expect(page.get_by_text("Madame, Monsieur Rob Cerjanec,")).to_be_visible()  # the French letter by default
    page.get_by_label("Votre histoire").fill(
        "J'ai exercé la médecine familiale pendant neuf ans à Dakar et je pourrais soigner des patients à Ajax demain."
    )
    expect(page.get_by_text("caractères : c'est assez")).to_be_visible()  # the counter (our JS) speaks French
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_text("Aperçu : exactement tel qu'il sera envoyé")).to_be_visible()
    assert _serious(page) == []
    screenshot(page, "fr-04-preview")
    page.get_by_role("button", name="Envoyer ma lettre").click()
    expect(page.get_by_text("Votre lettre à Rob Cerjanec est en route")).to_be_visible()
    screenshot(page, "fr-05-sent")

    page.goto(base + "/my/letters")
    expect(page.get_by_role("heading", name="Mes lettres")).to_be_visible()
    assert _serious(page) == []
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My letters")).to_be_visible()
    assert _serious(page) == []
    screenshot(page, "fr-06-my-letters-in-english")


def _member_and_event(app) -> int:
    from datetime import datetime, timedelta

    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.programs.calendar import utc_to_toronto
    from crm.programs.services import create_event, program_by_slug

    with app.app_context():
        create_user(
            db.session,
            email="mariam@example.org",
            password=PASSWORD,
            role="member",
            confirmed=True,
            name="Mariam Haddad",
        )
        starts = utc_to_toronto(datetime.utcnow() + timedelta(days=12)).replace(tzinfo=None, second=0, microsecond=0)
        event = create_event(
            db.session,
            program_id=program_by_slug(db.session, "cracking").id,
            title="Percer le CaRMS : les entrevues",
            description="Des résidents jumelés partagent leurs conseils.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=1),
            capacity=20,
            status="open",
            join_url="https://zoom.example/j/555",
        )
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def test_a_francophone_member_registers_for_a_program_and_gets_the_email_in_french(page, live_server):
    base = live_server.url
    _member_and_event(live_server.app)
    page.goto(base + "/login")
    page.get_by_label("Email", exact=True).fill("mariam@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/home")
    page.get_by_role("button", name="Français").click()  # kept on her profile: her emails come in French too
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Programmes").click()
    page.get_by_role("link", name="Percer le CaRMS : les entrevues").click()
    expect(page.get_by_text("(heure de Toronto)")).to_be_visible()
    expect(page.get_by_text(" h ").first).to_be_visible()  # the 24-hour clock, not "7:00 pm"
    assert _serious(page) == []
    page.get_by_role("button", name="S'inscrire").click()
    expect(page.get_by_text("Vous êtes inscrit. Nous vous avons envoyé les détails par courriel")).to_be_visible()
    expect(page.get_by_text("Vous êtes inscrit.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Ajouter à l'agenda (.ics)")).to_be_visible()
    assert _serious(page) == []
    screenshot(page, "fr-07-registered-for-a-program")

    mine = page.get_by_role("row").filter(has_text="mariam@example.org")
    subject = "Vous êtes inscrit : Percer le CaRMS : les entrevues"
    for _ in range(50):
        page.goto(base + "/dev/mailbox/")
        if mine.filter(has_text=subject).count():
            break
        page.wait_for_timeout(200)
    mine.filter(has_text=subject).first.get_by_role("link").first.click()
    expect(page.get_by_text("Bonjour Mariam Haddad,")).to_be_visible()
    expect(page.get_by_text("(heure de Toronto)")).to_be_visible()
    expect(page.get_by_text("Nous vous le rappellerons la veille.")).to_be_visible()
    expect(page.get_by_text(" pm ")).to_have_count(0)
    screenshot(page, "fr-08-registration-email")
