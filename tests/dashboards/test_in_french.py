"""The dashboards in French (issue 25): a lead who switched to FR reads every dashboard, its filters' complaints,
chart captions and table headings in French."""

from __future__ import annotations


def test_a_lead_reads_the_dashboards_in_french(browser, make_campaign, add_letters):
    campaign = make_campaign(goal_letters=10, goal_ridings=20)
    add_letters(campaign, [(1, "delivered", None), (2, "bounced", None)])
    browser.login(campaign.lead.email)
    browser.post("/language", data={"lang": "fr", "next": "/dashboards/"}, page="/dashboards/")

    index = browser.get("/dashboards/").get_data(as_text=True)
    assert '<html lang="fr"' in index
    assert "Tableau de bord du comité" in index and "Portrait des membres" in index

    page = browser.get(f"/dashboards/campaigns/{campaign.id}?start=nope").get_data(as_text=True)
    assert "« De » doit être une date comme 2026-03-31; elle a été ignorée." in page
    assert "lettres sur un objectif de 10" in page
    assert "circonscriptions rejointes sur 124 (objectif 20)" in page
    assert "D'où viennent les lettres" in page and "Lettres par parti" in page
    assert "Accepté par le service de courriel" in page and "Livraison des lettres" in page
    assert "1 lettre</title>" in page  # the map's riding titles, plural forms in French
    for english in ("Where letters came from", "ridings reached of", "Download:", "Letters per day"):
        assert english not in page

    committee = browser.get("/dashboards/committee").get_data(as_text=True)
    assert "Le travail du comité, mois par mois" in committee
    assert "Qui les programmes rejoignent" in committee
    assert "Plus de postes de résidence" in committee and "(79 sièges)" in committee  # the asks, plurals

    evidence = browser.get("/dashboards/members?province=ZZ").get_data(as_text=True)
    assert "Choisissez une province ou un territoire dans la liste" in evidence
    assert "Membres par circonscription (Ontario)" in evidence
    assert "Comment les petits nombres sont protégés" in evidence
