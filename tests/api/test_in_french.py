"""The public API in French (issue 25): ?lang=fr gives the official French names where they differ."""


def test_ridings_in_french_use_the_official_french_names(client, seeded):
    english = client.get("/api/v1/ridings?province=ON&limit=200").get_json()["items"]
    french = client.get("/api/v1/ridings?province=ON&limit=200&lang=fr").get_json()["items"]
    by_ocd = {item["ocd_id"]: item["name"] for item in french}
    james_bay = "ocd-division/country:ca/province:on/ed:124-2015"
    assert {item["ocd_id"]: item["name"] for item in english}[james_bay] == "Mushkegowuk—James Bay"
    assert by_ocd[james_bay] == "Mushkegowuk—Baie James"
    assert by_ocd["ocd-division/country:ca/province:on/ed:1-2015"] == "Ajax"  # the same in both


def test_jurisdictions_and_parties_in_french(client, seeded):
    names = {j["code"]: j["name"] for j in client.get("/api/v1/jurisdictions?lang=fr").get_json()["items"]}
    assert names["QC"] == "Québec" and names["BC"] == "Colombie-Britannique" and names["ON"] == "Ontario"
    parties = {
        item["representative"]["party"]
        for item in client.get("/api/v1/ridings?province=ON&limit=200&lang=fr").get_json()["items"]
        if item["representative"]
    }
    assert "Parti libéral de l'Ontario" in parties and "Ontario Liberal Party" not in parties


def test_an_unknown_language_is_english_and_the_cookie_does_not_change_the_api(client, seeded):
    client.set_cookie("lang", "fr")
    names = {j["code"]: j["name"] for j in client.get("/api/v1/jurisdictions?lang=xx").get_json()["items"]}
    assert names["QC"] == "Quebec"


def test_members_titles_in_french(client, seeded):
    """?lang=fr: an MPP is « député(e) provincial(e) », in the jurisdiction list and on each riding's member."""
    titles = {j["code"]: j["member_title"] for j in client.get("/api/v1/jurisdictions?lang=fr").get_json()["items"]}
    assert titles["ON"] == "député(e) provincial(e)" and titles["QC"] == "député(e) à l'Assemblée nationale"
    items = client.get("/api/v1/ridings?province=ON&limit=5&lang=fr").get_json()["items"]
    assert {item["representative"]["title"] for item in items if item["representative"]} == {"député(e) provincial(e)"}
    english = client.get("/api/v1/jurisdictions").get_json()["items"]
    assert {j["code"]: j["member_title"] for j in english}["ON"] == "MPP"


def test_the_cached_lookup_answers_in_the_language_asked(app, client, seeded, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_CACHE_SECONDS", 60)
    app.extensions.pop("crm.lookup_cache", None)
    english = client.get("/api/v1/lookup?postal_code=K1A0A6").get_json()["items"]
    french = client.get("/api/v1/lookup?postal_code=K1A0A6&lang=fr").get_json()["items"]
    assert english and english[0]["representative"]["title"] == "MPP"
    assert french[0]["representative"]["title"] == "député(e) provincial(e)"  # not the English answer cached above
    app.extensions.pop("crm.lookup_cache", None)
