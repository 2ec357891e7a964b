"""The benchmarks' floors live in their own app, never among the product's routes."""

from __future__ import annotations

from crm import create_app
from crm.auth import access


def test_the_product_has_no_floor_routes(tmp_path):
    app = create_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/bench")]


def test_the_bench_app_adds_the_floors_and_their_access_lines(tmp_path, monkeypatch):
    from tests.benchmarks import floor_app

    monkeypatch.setattr(access, "ACCESS", dict(access.ACCESS))  # the floor's line stays in this test
    app = floor_app.make_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    floors = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/bench")}
    assert floors == {"/bench/letter-floor": "bench.letter_floor", "/bench/sql-floor/<name>": "bench.sql_floor"}
    assert access.ACCESS["bench.letter_floor"] == access.ACCESS["bench.sql_floor"] == access.PUBLIC


# --- each page's floor is its own SQL: the statements it runs, the rows it reads -------------------------------

FETCHED = {"rows": 0}
PAGES = [
    "/dashboards/campaigns/{campaign}",
    "/dashboards/members",
    "/dashboards/committee",
    "/directory/people",
    "/directory/people?q=ford",
    "/interactions/",
    "/campaigns/",
]


def _counted(cursor_class):
    """`cursor_class` with every row it hands out counted in FETCHED."""

    class Counting(cursor_class):
        def fetchone(self):
            row = super().fetchone()
            FETCHED["rows"] += row is not None
            return row

        def fetchmany(self, *args, **kwargs):
            rows = super().fetchmany(*args, **kwargs)
            FETCHED["rows"] += len(rows)
            return rows

        def fetchall(self):
            rows = super().fetchall()
            FETCHED["rows"] += len(rows)
            return rows

    return Counting


def _counting_sqlite(path: str):
    import sqlite3

    counting = _counted(sqlite3.Cursor)

    class Connection(sqlite3.Connection):
        def cursor(self, factory=counting):
            return super().cursor(factory)

    return lambda: sqlite3.connect(path, factory=Connection, check_same_thread=False)


def _bench_site(database_url: str, instance):
    """The bench app on the test database, its connections' cursors counting rows; a campaign and a lead with
    two-step verification, logged in by cookie as the benchmarks do."""
    from datetime import datetime

    import pyotp
    from sqlalchemy import event

    from crm.auth.models import User
    from crm.auth.totp_secrets import seal
    from crm.campaigns.models import Campaign
    from crm.extensions import db
    from tests.benchmarks import floor_app, sql_floor
    from tests.benchmarks.campaigns_bench import _populate

    config = sql_floor.bench_config(database_url, instance)
    if database_url.startswith("sqlite:///"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"creator": _counting_sqlite(database_url[len("sqlite:///") :])}
    app = floor_app.make_app(config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            import psycopg

            counting = _counted(psycopg.Cursor)
            event.listen(db.engine, "connect", lambda conn, _: setattr(conn, "cursor_factory", counting))
        data = _populate(db.session, members=3, campaigns=1)
        user = db.session.scalar(db.select(User).where(User.email == "bench-lead@example.org"))
        user.totp_secret, user.mfa_enabled_at = seal(user.id, pyotp.random_base32()), datetime.utcnow()
        db.session.commit()
        lead = user.get_id()
        campaign = db.session.scalar(db.select(Campaign.id).where(Campaign.slug == data["slugs"][0]))
        db.session.remove()
    cookie, _ = sql_floor.session_cookie(app, lead)
    return app, {"Cookie": cookie}, campaign


def test_each_pages_floor_runs_the_statements_the_page_runs_and_fetches_the_rows_it_reads(
    app, seeded, database_url, tmp_path, monkeypatch
):
    from crm.extensions import db
    from tests.benchmarks import floor_app, sql_floor

    monkeypatch.setattr(access, "ACCESS", dict(access.ACCESS))
    bench, headers, campaign = _bench_site(database_url, tmp_path)
    try:
        for page in PAGES:
            path = page.format(campaign=campaign)
            captured = sql_floor.capture(bench, path, headers)
            assert captured["statements"], f"{path} runs no SQL: no floor to compare"
            again = sql_floor.capture(bench, path, headers, warmups=0)
            assert [s for s, _, _ in again["statements"]] == [s for s, _, _ in captured["statements"]], path

            client = bench.test_client()
            client.set_cookie(*headers["Cookie"].split("=", 1))
            FETCHED["rows"] = 0
            assert client.get(path).status_code == 200
            read_by_page = FETCHED["rows"]

            floor_app._replays.clear()
            floor = sql_floor.save(tmp_path, "test-page", captured)
            FETCHED["rows"] = 0
            answer = bench.test_client().get(floor)
            assert answer.status_code == 200
            assert int(answer.get_data(as_text=True)) == FETCHED["rows"] == read_by_page > 0, path
    finally:
        with bench.app_context():
            db.engine.dispose()
