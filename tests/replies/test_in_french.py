"""A francophone member answers the reply survey in French, and a committee member reads the report in French."""

from flask_babel import refresh
from sqlalchemy import select

from crm.replies.models import LetterReply
from tests.conftest import Browser
from tests.replies.test_answers import _answer, _asked


def test_a_member_answers_in_french_and_a_committee_member_reads_it_in_french(
    app, session, browser, sent_letter, make_user
):
    _, _, link = _asked(session, sent_letter)
    guest = Browser(app.test_client())  # the email's link, opened in a browser that chose French
    guest.client.set_cookie("lang", "fr")
    refresh()  # the `session` fixture's app context outlives requests, and Flask-Babel caches the locale in it
    response = _answer(guest, link, answer="replied", tone="neutral")
    assert "Merci : votre réponse est enregistrée." in guest.get(response.headers["Location"]).get_data(as_text=True)

    reply = session.scalar(select(LetterReply))
    make_user(role="committee", email="comite@example.org")
    browser.login("comite@example.org")
    browser.post("/language", data={"lang": "fr", "next": "/"}, page="/")
    refresh()
    page = browser.get(f"/replies/{reply.id}").get_data(as_text=True)
    assert "Le bureau a-t-il répondu?" in page and "Réponse rapportée" in page
    assert "Seule une vraie réponse" not in page and "Consigne une position de" in page
