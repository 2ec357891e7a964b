"""The public proposal pages in French (issue 25): a visitor who chose FR reads the list, a version, its print view
and the scoreboard in French (the proposal's own title and body stay as the committee wrote them)."""


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
