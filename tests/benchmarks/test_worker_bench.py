"""The worker's benchmark still counts: its floor and its product each deliver every message, once (no timing)."""

from __future__ import annotations

import pytest

from tests.benchmarks import worker_bench


@pytest.fixture
def restored_mailer(app):
    saved = app.extensions["crm.mailer"]
    yield
    app.extensions["crm.mailer"] = saved


def test_the_product_round_delivers_every_letter_once(app, server, restored_mailer):
    assert worker_bench.product_round(app, server, 40, concurrency=4)["messages_per_s"] > 0
    assert server.received() == {}  # the round counted (and forgot) what it was sent


def test_the_floor_round_posts_the_products_mails_and_delivers_each_once(app, server):
    pytest.importorskip("sendgrid", reason="the worker's floor client, sendgrid-python, is not installed")
    bodies = worker_bench.floor_bodies(app, 40)
    assert [int(b["personalizations"][0]["custom_args"]["crm_message_id"]) for b in bodies] == list(range(1, 41))
    assert worker_bench.floor_round(server, bodies, concurrency=4)["messages_per_s"] > 0


def test_a_lost_or_doubled_message_fails_the_round():
    worker_bench.check_received({1: 1, 2: 1}, 2, "floor")
    with pytest.raises(AssertionError):
        worker_bench.check_received({1: 1}, 2, "floor")
    with pytest.raises(AssertionError):
        worker_bench.check_received({1: 1, 2: 2}, 2, "floor")


def test_the_worker_records_a_slow_providers_acceptances_in_a_few_batches(app, server, restored_mailer, monkeypatch):
    """One UPDATE per handful of answers cost more CPU than the sends, and its GIL delayed the senders."""
    from crm.outbox import worker

    recorded = []
    record_accepted = worker.record_accepted

    def counting(session, handed, owner):
        if handed:
            recorded.append(len(handed))
        return record_accepted(session, handed, owner)

    monkeypatch.setattr(worker, "record_accepted", counting)
    server.fake.latency = 0.05  # 32 letters, 8 senders: four rounds of answers
    worker_bench.product_round(app, server, 32, concurrency=8)
    assert sum(recorded) == 32 and len(recorded) <= 3, recorded
