"""The public read-only JSON API."""

import pytest


def test_jurisdictions_lists_the_13_provinces_and_territories_and_the_house_of_commons(client):
    body = client.get("/api/v1/jurisdictions").json
    assert body["count"] == 14 and len(body["items"]) == 14
    ontario = next(j for j in body["items"] if j["code"] == "ON")
    assert ontario["member_title"] == "MPP" and ontario["seats"] == 124
    assert next(j for j in body["items"] if j["code"] == "CA")["member_title"] == "MP"


def test_ridings_in_ontario_carry_their_current_representative(client, seeded):
    body = client.get("/api/v1/ridings?province=on&limit=500").json
    assert body["count"] == 124 and len(body["items"]) == 124
    ajax = body["items"][0]
    assert ajax["number"] == 1 and ajax["name"] == "Ajax"
    assert ajax["ocd_id"] == "ocd-division/country:ca/province:on/ed:1-2015"
    assert ajax["representative"]["name"] == "Rob Cerjanec" and ajax["vacant"] is False


def test_a_seat_with_no_current_office_shows_as_vacant(client, seeded, app):
    from sqlalchemy import update

    from crm.extensions import db
    from crm.stakeholders.models import ElectedOffice

    with app.app_context():
        db.session.execute(update(ElectedOffice).where(ElectedOffice.district_id == 1).values(current=False))
        db.session.commit()
    ajax = client.get("/api/v1/ridings?province=ON&limit=1").json["items"][0]
    assert ajax["vacant"] is True and ajax["representative"] is None


def test_representatives_give_name_riding_party_title_email_and_phone(client, seeded):
    body = client.get("/api/v1/representatives?province=ON&limit=500").json
    assert body["count"] == 124
    first = body["items"][0]
    assert set(first) >= {"name", "riding", "party", "title", "email", "phone"}
    uncertain = [r for r in body["items"] if r["contact_uncertain"]]
    assert sorted(r["riding"] for r in uncertain) == [
        "Hamilton East—Stoney Creek",
        "Scarborough Southwest",
        "York—Simcoe",
    ]
    assert all(r["email"] is None for r in uncertain)


@pytest.mark.parametrize("typed", ["m5v 3l9", "M5V3L9", "M5V-3L9", "  m5v 3L9 "])
def test_lookup_accepts_common_spellings_of_a_postal_code(client, seeded, typed):
    response = client.get("/api/v1/lookup", query_string={"postal_code": typed})
    assert response.status_code == 200
    body = response.json
    assert body["postal_code"] == "M5V 3L9"
    shares = [item["share"] for item in body["items"]]
    assert shares == sorted(shares, reverse=True) and body["items"][0]["name"] == "Spadina—Fort York"
    assert body["items"][0]["representative"]["name"]


@pytest.mark.parametrize(
    "typed, fragment",
    [("", "Enter a postal code"), ("M5V3L", "six characters"), ("12345A", "not a valid"), ("D5V 3L9", "not a valid")],
)
def test_lookup_names_the_problem_with_a_malformed_code(client, typed, fragment):
    response = client.get("/api/v1/lookup", query_string={"postal_code": typed})
    assert response.status_code == 400
    assert fragment in response.json["error"]["message"]
    assert response.json["error"]["code"] == "invalid_postal_code"


@pytest.mark.parametrize("query", ["postal_code=K0A1A1", "postal_code=M5V3L9", "postal_code=P0L1A1&lang=fr"])
def test_a_lookups_answer_is_compact_json_with_sorted_keys_in_utf_8(client, seeded, query):
    """The lookup encodes its answer without sorting keys (its dicts are built in order): the keys come out sorted,
    compact, with text outside ASCII (an em dash, an accent) written as UTF-8."""
    import json

    response = client.get(f"/api/v1/lookup?{query}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    expected = json.dumps(response.json, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    assert response.get_data() == expected.encode()


def test_a_lookup_writes_a_riding_name_outside_ascii_as_utf_8(client, seeded):
    response = client.get("/api/v1/lookup?postal_code=M5V3L9")
    assert "Spadina—Fort York".encode() in response.get_data()


def test_lookup_of_a_valid_code_outside_the_table_is_a_404_saying_so(client):
    response = client.get("/api/v1/lookup?postal_code=V6B1A1")
    assert response.status_code == 404
    assert "V6B" in response.json["error"]["message"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "offset=-1"])
def test_bad_pagination_is_a_400_json_error(client, query):
    response = client.get(f"/api/v1/jurisdictions?{query}")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_pagination"


def test_pagination_pages_through_with_limit_and_offset(client):
    first = client.get("/api/v1/jurisdictions?limit=5").json
    second = client.get("/api/v1/jurisdictions?limit=5&offset=5").json
    assert first["count"] == second["count"] == 14
    assert not {j["code"] for j in first["items"]} & {j["code"] for j in second["items"]}


def test_unknown_province_is_a_400_listing_the_valid_codes(client):
    response = client.get("/api/v1/ridings?province=ZZ")
    assert response.status_code == 400 and "ON" in response.json["error"]["message"]


def test_api_lists_run_a_constant_number_of_queries(client, seeded, count_queries):
    with count_queries() as few:
        client.get("/api/v1/representatives?limit=5")
    with count_queries() as many:
        client.get("/api/v1/representatives?limit=124")
    assert few.count == many.count
    with count_queries() as few:
        client.get("/api/v1/ridings?limit=5")
    with count_queries() as many:
        client.get("/api/v1/ridings?limit=124")
    assert few.count == many.count


def test_lookup_answers_are_cached_per_process_for_the_configured_time(app, client, seeded, monkeypatch):
    from crm.api import views

    reads = []
    read_rows = views._driver_rows
    monkeypatch.setattr(views, "_driver_rows", lambda fsa: reads.append(fsa) or read_rows(fsa))
    app.config["LOOKUP_CACHE_SECONDS"] = 60
    try:
        first = client.get("/api/v1/lookup?postal_code=M5V3L9").json
        again = client.get("/api/v1/lookup?postal_code=m5v 3l9").json
    finally:
        app.config["LOOKUP_CACHE_SECONDS"] = 0
        app.extensions.pop("crm.lookup_cache", None)
    assert again == first and reads == ["M5V"]


def test_an_uncached_lookup_reads_the_database_every_time(client, seeded, monkeypatch):
    from crm.api import views

    reads = []
    read_rows = views._driver_rows
    monkeypatch.setattr(views, "_driver_rows", lambda fsa: reads.append(fsa) or read_rows(fsa))
    answers = [client.get("/api/v1/lookup?postal_code=M5V3L9").json for _ in range(2)]
    assert answers[0] == answers[1] and answers[0]["count"] >= 1 and reads == ["M5V", "M5V"]


def test_a_failing_lookup_raises_sqlalchemys_error_and_the_next_lookup_works(app, client, seeded, monkeypatch):
    """The lookup reads through the driver; its errors still reach the error handlers as SQLAlchemy's (a lost
    connection is a 503 there), and the connection goes back to the pool usable."""
    from sqlalchemy.exc import DBAPIError

    from crm.api import views

    monkeypatch.setattr(views, "_lookup_sql", lambda dialect: "SELECT * FROM no_such_table_for_this_test")
    with app.test_request_context("/api/v1/lookup"), pytest.raises(DBAPIError):
        views._driver_rows("M5V")
    monkeypatch.undo()
    assert client.get("/api/v1/lookup?postal_code=M5V3L9").json["count"] >= 1


def _lookup_connection_pid(app) -> int:
    """A pool of one connection, which the next lookup will use: its backend's pid."""
    from crm.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's prepared statements and backends")
        db.engine.dispose()
        raw = db.engine.raw_connection()
        try:
            return raw.driver_connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        finally:
            raw.close()


def _on_lookup_connection(app, sql: str) -> list[tuple]:
    from crm.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.execute(sql)
            return cursor.fetchall() if cursor.description else []
        finally:
            raw.close()


def test_the_lookup_is_a_prepared_statement_that_survives_deallocate_all_on_postgresql(app, client, seeded):
    """psycopg runs DEALLOCATE ALL on a rollback after its own prepared statements: the lookup prepares again."""
    _lookup_connection_pid(app)
    first = client.get("/api/v1/lookup?postal_code=K0A1A1")
    prepared = "SELECT name FROM pg_prepared_statements WHERE name LIKE 'crm_lookup_%'"
    assert len(_on_lookup_connection(app, prepared)) == 1
    _on_lookup_connection(app, "DEALLOCATE ALL")
    assert not _on_lookup_connection(app, prepared)
    again = client.get("/api/v1/lookup?postal_code=K0A1A1")
    assert again.status_code == 200 and again.get_data() == first.get_data() and first.json["count"] == 14
    assert len(_on_lookup_connection(app, prepared)) == 1


def test_a_lookup_on_a_lost_connection_is_a_503_and_the_next_one_works_on_postgresql(app, client, seeded):
    import psycopg

    pid = _lookup_connection_pid(app)
    with psycopg.connect(app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    lost = client.get("/api/v1/lookup?postal_code=K0A1A1")
    assert lost.status_code == 503 and lost.json["error"]["code"] == "try_again_in_a_moment"
    assert client.get("/api/v1/lookup?postal_code=K0A1A1").json["count"] == 14
