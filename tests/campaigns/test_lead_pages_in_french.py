"""The lead's campaign pages in French (issue 25): the list, a campaign's page, its settings, letter template,
targets and near-copies, with the choices, statuses and warnings in French too."""

from __future__ import annotations


def test_a_lead_runs_a_campaign_in_french(browser, make_campaign):
    campaign = make_campaign(kind="fixed_targets")
    browser.login(campaign.lead.email)
    browser.post("/language", data={"lang": "fr", "next": "/manage/campaigns"}, page="/manage/campaigns")

    listing = browser.get("/manage/campaigns").get_data(as_text=True)
    assert '<html lang="fr"' in listing and "Nouvelle campagne" in listing and "Destinataires fixes" in listing
    assert "en cours" in listing  # a live campaign's status

    page = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Paramètres" in page and "Dernières lettres" in page and "membres arrêtés par un siège vacant" in page
    for english in ("Latest letters", "Settings", "Letters by party"):
        assert english not in page

    edit = browser.get(f"/manage/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "Condensé quotidien : un courriel par jour par bureau" in edit
    assert "Une lettre à des destinataires fixes (p. ex. un ministre)" in edit

    template = browser.get(f"/manage/campaigns/{campaign.id}/template").get_data(as_text=True)
    assert "Champs de fusion" in template and "le nom complet du membre" in template
    assert "Lettre pour" in template and "Versions" in template

    targets = browser.get(f"/manage/campaigns/{campaign.id}/targets").get_data(as_text=True)
    assert "Destinataires de" in targets and "Ajouter" in targets

    similarity = browser.get(f"/manage/campaigns/{campaign.id}/similarity").get_data(as_text=True)
    assert "Personnelle ou copiée" in similarity
