"""The public proposal pages in French (issue 25): a visitor who chose FR reads the list, a version, its print view
and the scoreboard in French (the proposal's own title and body stay as the committee wrote them)."""

from flask_babel import refresh


def test_a_visitor_reads_the_proposals_in_french(browser, make_proposal):
    make_proposal("ON", published=["Ontario v1", "Ontario v2"])
    browser.client.set_cookie("lang", "fr")
    listing = browser.get("/proposals").get_data(as_text=True)
    assert '<html lang="fr"' in listing and "Les propositions d&#39;ITPO aux gouvernements" not in listing
    assert "Les propositions d'ITPO aux gouvernements" in listing and "v2, publiée le" in listing

    latest = browser.get("/proposals/ontario").get_data(as_text=True)
    assert "Version pour impression" in latest and "Toutes les versions publiées" in latest
    earlier = browser.get("/proposals/ontario/v1").get_data(as_text=True)
    assert "Ceci est une version antérieure." in earlier

    printed = browser.get("/proposals/ontario/v2/print").get_data(as_text=True)
    assert '<html lang="fr">' in printed and "Retour à la proposition" in printed

    board = browser.get("/asks").get_data(as_text=True)
    assert "Les trois demandes d'ITPO à travers le Canada" in board and "Province ou territoire" in board


def test_the_committee_works_on_a_proposal_in_french(browser, committee, make_proposal):
    proposal = make_proposal("ON", published=["Ontario v1"], draft="Ontario v2")
    browser.post("/language", data={"lang": "fr", "next": "/committee/proposals"}, page="/committee/proposals")
    refresh()  # a fixture's app context outlives requests, and Flask-Babel caches the locale in it
    index = browser.get("/committee/proposals").get_data(as_text=True)
    assert "Version la plus récente" in index and "brouillon" in index
    page = browser.get(f"/committee/proposals/{proposal.id}").get_data(as_text=True)
    assert "Poursuivre le brouillon de la v2" in page and "Comparer deux versions" in page


def test_the_scoreboard_names_the_three_asks_and_the_provinces_in_french(browser, asks):
    browser.client.set_cookie("lang", "fr")
    board = browser.get("/asks").get_data(as_text=True)
    assert "Plus de postes de résidence ouverts aux médecins formés à l&#39;étranger" in board
    assert "Programme PRA" in board and "Poste d&#39;assistant clinique" in board and "Places PRA par année" in board
    assert "Colombie-Britannique" in board and "Île-du-Prince-Édouard" in board
    assert "More residency positions" not in board and ">British Columbia</th>" not in board
    browser.client.set_cookie("lang", "en")
    refresh()  # the fixture's app context caches the locale
    assert "More residency positions open to internationally trained physicians" in browser.get("/asks").get_data(
        as_text=True
    )
