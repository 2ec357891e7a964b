"""The benchmarks' floors live in their own app, never among the product's routes."""

from __future__ import annotations

import pytest

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


def _counting_sqlite(path):
    """sqlite3 connections whose cursors count every row they hand out."""
    import sqlite3

    class Cursor(sqlite3.Cursor):
        def fetchone(self):
            row = super().fetchone()
            FETCHED["rows"] += row is not None
            return row

        def fetchmany(self, *args):
            rows = super().fetchmany(*args)
            FETCHED["rows"] += len(rows)
            return rows

        def fetchall(self):
            rows = super().fetchall()
            FETCHED["rows"] += len(rows)
            return rows

    class Connection(sqlite3.Connection):
        def cursor(self, factory=Cursor):
            return super().cursor(factory)

    return lambda: sqlite3.connect(path, factory=Connection, check_same_thread=False)


@pytest.fixture(scope="module")
def bench_site(tmp_path_factory):
    """The bench app on a small directory, a campaign and a lead, logged in by cookie as the benchmarks do."""
    from flask_migrate import upgrade

    from crm.cli import seed_reference_data
    from crm.extensions import db
    from tests.benchmarks import floor_app, sql_floor
    from tests.benchmarks.campaigns_bench import _populate

    instance = tmp_path_factory.mktemp("bench-site")
    path = instance / "bench.sqlite3"
    config = sql_floor.bench_config(f"sqlite:///{path}", instance)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"creator": _counting_sqlite(str(path))}
    saved = dict(access.ACCESS)
    app = floor_app.make_app(config)
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        data = _populate(db.session, members=3, campaigns=1)
        from datetime import datetime

        import pyotp

        from crm.auth.models import User
        from crm.auth.totp_secrets import seal
        from crm.campaigns.models import Campaign

        user = db.session.scalar(db.select(User).where(User.email == "bench-lead@example.org"))
        user.totp_secret, user.mfa_enabled_at = seal(user.id, pyotp.random_base32()), datetime.utcnow()
        db.session.commit()
        lead = user.get_id()
        campaign = db.session.scalar(db.select(Campaign.id).where(Campaign.slug == data["slugs"][0]))
        db.session.remove()
    cookie, _ = sql_floor.session_cookie(app, lead)
    yield app, instance, {"Cookie": cookie}, campaign
    access.ACCESS.clear()
    access.ACCESS.update(saved)
    with app.app_context():
        db.engine.dispose()


PAGES = [
    "/dashboards/campaigns/{campaign}",
    "/dashboards/members",
    "/dashboards/committee",
    "/directory/people",
    "/directory/people?q=ford",
    "/interactions/",
    "/campaigns/",
]


@pytest.mark.parametrize("page", PAGES)
def test_a_pages_floor_runs_the_statements_the_page_runs_and_fetches_the_rows_it_reads(bench_site, page):
    from tests.benchmarks import sql_floor

    app, instance, headers, campaign = bench_site
    path = page.format(campaign=campaign)
    captured = sql_floor.capture(app, path, headers)
    assert captured["statements"], "a page that runs no SQL has no floor to compare"
    again = sql_floor.capture(app, path, headers, warmups=0)
    assert [s for s, _, _ in again["statements"]] == [s for s, _, _ in captured["statements"]]

    client = app.test_client()
    client.set_cookie(*headers["Cookie"].split("=", 1))
    FETCHED["rows"] = 0
    assert client.get(path).status_code == 200
    read_by_page = FETCHED["rows"]

    floor = sql_floor.save(instance, "test-page", captured)
    from tests.benchmarks import floor_app

    floor_app._replays.clear()
    FETCHED["rows"] = 0
    answer = app.test_client().get(floor)
    assert answer.status_code == 200
    assert int(answer.get_data(as_text=True)) == FETCHED["rows"] == read_by_page > 0
