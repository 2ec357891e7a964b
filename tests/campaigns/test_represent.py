"""Finding ridings through the Represent API (a local fake server), cached and rate-limited."""

import pytest

from crm.campaigns import represent

PAYLOAD = {
    "code": "M5V3L9",
    "city": "Toronto",
    "province": "ON",
    "boundaries_centroid": [
        {"name": "Spadina—Fort York", "boundary_set_name": "Ontario electoral district", "external_id": "101"},
        {"name": "Spadina—Fort York", "boundary_set_name": "Federal electoral district", "external_id": "35101"},
    ],
    "boundaries_concordance": [
        {"name": "University—Rosedale", "boundary_set_name": "Ontario electoral district", "external_id": "113"},
    ],
    "representatives_centroid": [
        {
            "name": "Someone Federal",
            "elected_office": "MP",
            "district_name": "Toronto Centre",
            "representative_set_name": "House of Commons",
        },
        {
            "name": "Chris Glover",
            "elected_office": "MPP",
            "district_name": "Spadina--Fort York",
            "representative_set_name": "Legislative Assembly of Ontario",
        },
    ],
}


@pytest.fixture
def represent_api(app, httpserver):
    app.config["REPRESENT_API_URL"] = httpserver.url_for("/")
    yield httpserver
    app.config["REPRESENT_API_URL"] = None


def _choose_page(browser, campaign, code="M5V 3L9"):
    return browser.get(f"/campaigns/{campaign.slug}/write?postal_code={code}").get_data(as_text=True)


def test_represent_answers_give_the_ridings_most_likely_first(browser, make_campaign, make_member, represent_api):
    represent_api.expect_request("/postcodes/M5V3L9/").respond_with_json(PAYLOAD)
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    html = _choose_page(browser, campaign)
    assert "Spadina—Fort York" in html and "University—Rosedale" in html
    assert html.index("Spadina—Fort York") < html.index("University—Rosedale")
    assert "Davenport" not in html.split("choose your riding from the list")[0]  # not the FSA's long tail


def test_represent_answers_are_cached(browser, make_campaign, make_member, represent_api):
    represent_api.expect_oneshot_request("/postcodes/M5V3L9/").respond_with_json(PAYLOAD)
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    _choose_page(browser, campaign)
    html = _choose_page(browser, campaign)
    assert "University—Rosedale" in html
    assert len(represent_api.log) == 1


def test_an_unavailable_api_falls_back_to_the_fsa_table(browser, make_campaign, make_member, represent_api):
    represent_api.expect_request("/postcodes/M5V3L9/").respond_with_data("busy", status=503)
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    html = _choose_page(browser, campaign)
    assert "Spadina—Fort York" in html and "Davenport" in html


def test_the_api_is_called_at_most_60_times_a_minute(
    app, browser, make_campaign, make_member, represent_api, monkeypatch
):
    monkeypatch.setattr(represent, "RATE", "2/minute")
    represent_api.expect_request("/postcodes/M5V3L9/").respond_with_json(PAYLOAD)
    represent_api.expect_request("/postcodes/M5V3L8/").respond_with_json(PAYLOAD)
    represent_api.expect_request("/postcodes/M5V3L7/").respond_with_json(PAYLOAD)
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    for code in ("M5V 3L9", "M5V 3L8", "M5V 3L7"):
        html = _choose_page(browser, campaign, code)
        assert "Spadina—Fort York" in html
    assert len(represent_api.log) == 2  # the third lookup used the FSA table


def test_an_unknown_postal_code_at_represent_falls_back_to_the_fsa_table(
    browser, make_campaign, make_member, represent_api
):
    represent_api.expect_request("/postcodes/L1S1A1/").respond_with_data("not found", status=404)
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    assert "Rob Cerjanec" in _choose_page(browser, campaign, "L1S 1A1")
