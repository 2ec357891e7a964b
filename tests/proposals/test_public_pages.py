"""Public proposal pages: published versions by province, print view, sanitised bodies; drafts stay private."""


def test_the_public_list_shows_published_proposals_by_province_only(browser, make_proposal):
    make_proposal("ON", published=["Ontario v1", "Ontario v2"], draft="secret draft")
    make_proposal("BC", published=[])
    html = browser.get("/proposals").get_data(as_text=True)
    assert "Proposal to Ontario" in html and "v2, published" in html
    assert "Proposal to British Columbia" not in html


def test_the_public_page_shows_the_latest_published_version_not_the_draft(browser, make_proposal):
    make_proposal("ON", published=["Ontario v1", "Ontario v2"], draft="secret draft")
    html = browser.get("/proposals/ontario").get_data(as_text=True)
    assert "Ontario v2" in html and "secret draft" not in html
    assert "Print-friendly view" in html and "/proposals/ontario/v2/print" in html
    assert browser.get("/proposals/ontario/v3").status_code == 404
    earlier = browser.get("/proposals/ontario/v1").get_data(as_text=True)
    assert "Ontario v1" in earlier and "This is an earlier version" in earlier


def test_a_province_with_only_a_draft_has_no_public_page(browser, make_proposal):
    make_proposal("BC", published=[])
    assert browser.get("/proposals/british-columbia").status_code == 404
    assert browser.get("/proposals/nowhere").status_code == 404


def test_the_print_view_is_a_plain_page_with_its_own_stylesheet(browser, make_proposal):
    make_proposal("ON", published=["# Heading\n\nParagraph."])
    response = browser.get("/proposals/ontario/v1/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Heading</h1>" in html
    assert "css/print.css" in html and "navbar" not in html and "<script src=" in html
    assert "<script>" not in html and "style=" not in html
    assert browser.get("/static/css/print.css").status_code == 200


def test_script_and_raw_html_in_a_body_are_sanitised_on_every_page(browser, committee, make_proposal):
    body = 'Hello <script>alert("x")</script><img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>'
    proposal = make_proposal("ON", published=[body])
    pages = [
        "/proposals/ontario",
        "/proposals/ontario/v1/print",
        f"/committee/proposals/versions/{proposal.versions[0].id}",
    ]
    for url in pages:
        html = committee.get(url).get_data(as_text=True).lower()
        assert "alert(" not in html and "onerror" not in html and "javascript:" not in html, url


def test_public_list_uses_a_constant_number_of_queries(browser, make_proposal, count_queries):
    make_proposal("ON", published=["one"])
    with count_queries() as few:
        browser.get("/proposals")
    for code in ("BC", "AB", "SK", "MB", "NS"):
        make_proposal(code, published=["one", "two"])
    with count_queries() as many:
        html = browser.get("/proposals").get_data(as_text=True)
    assert html.count("published") >= 6
    assert many.n == few.n


def test_anonymous_visitors_see_links_to_the_public_pages(browser):
    html = browser.get("/").get_data(as_text=True)
    assert 'href="/proposals"' in html and 'href="/asks"' in html
    assert "/committee/proposals" not in html


def test_absurd_version_numbers_and_ids_get_404_not_500(committee, make_proposal):
    make_proposal("ON", published=["one"])
    huge = "9" * 30
    for url in (
        f"/proposals/ontario/v{huge}",
        f"/proposals/ontario/v{huge}/pdf",
        f"/proposals/ontario/v{huge}/print",
        f"/committee/proposals/{huge}",
        f"/committee/proposals/versions/{huge}",
        f"/committee/proposals/versions/{huge}/edit",
    ):
        assert committee.get(url).status_code == 404, url


def test_nul_or_odd_characters_in_addresses_get_404_not_500(committee, make_proposal):
    make_proposal("ON", published=["one"])
    for url in (
        "/proposals/%00",
        "/proposals/on%00tario/v1",
        "/proposals/%E2%80%AE",
        "/committee/asks/%00/ON",
        "/committee/asks/pra/%00N",
        "/committee/asks/pra/ONTARIO",
    ):
        assert committee.get(url).status_code == 404, url
