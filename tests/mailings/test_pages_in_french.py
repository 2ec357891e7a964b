"""A lead's mailing pages in French (issue 25): segments, a campaign's mailings, a draft's preview and the flash
after sending, with the placeholder list in French."""

from __future__ import annotations

from tests.mailings.conftest import make_mailing, make_segment


def test_a_lead_previews_and_sends_a_mailing_in_french(app, browser, lead, make_campaign, make_reachable):
    campaign = make_campaign()
    for number in range(6):
        make_reachable(riding=1, name=f"Dr Membre {number}")
    mailing_id = make_mailing(app, campaign, make_segment(app))
    browser.post("/language", data={"lang": "fr", "next": "/manage/segments"}, page="/manage/segments")

    segments = browser.get("/manage/segments").get_data(as_text=True)
    assert '<html lang="fr"' in segments and "Un segment choisit les membres" in segments

    listing = browser.get(f"/manage/campaigns/{campaign.id}/mailings").get_data(as_text=True)
    assert "Envois pour" in listing and "Nouvel envoi" in listing and "brouillon" in listing
    assert "le nom complet du membre" in listing  # the placeholders, described in French

    preview = browser.get(f"/manage/mailings/{mailing_id}").get_data(as_text=True)
    assert "Cet envoi rejoindrait 6 membres, selon leur langue :" in preview and "M'envoyer un essai" in preview
    sent = browser.post(
        f"/manage/mailings/{mailing_id}/send", {"scheduled_at": ""}, page=f"/manage/mailings/{mailing_id}"
    )
    page = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "L&#39;envoi à 6 membres part maintenant." in page and "programmé" in page

    participants = browser.get(f"/manage/campaigns/{campaign.id}/participants").get_data(as_text=True)
    assert "Qui a participé à" in participants and "En faire un segment" in participants
