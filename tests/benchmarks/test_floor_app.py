"""The benchmarks' floors live in their own app, never among the product's routes."""

from __future__ import annotations

from crm import create_app
from crm.auth import access


def test_the_product_has_no_floor_routes(tmp_path):
    app = create_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/bench")]


def test_the_bench_app_adds_the_letter_floor_and_its_access_line(tmp_path, monkeypatch):
    from tests.benchmarks import floor_app

    monkeypatch.setattr(access, "ACCESS", dict(access.ACCESS))  # the floor's line stays in this test
    app = floor_app.make_app({"CRM_ENV": "testing", "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    floors = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/bench")}
    assert floors == {"/bench/letter-floor": "bench.letter_floor"}
    assert access.ACCESS["bench.letter_floor"] == access.PUBLIC
