"""The 100k mailing's floor still counts: it stores and sends each member's message once (no timing)."""

from __future__ import annotations

import pytest

from tests.benchmarks import mailing_floor, worker_bench
from tests.benchmarks.outbox_bench import BODY, _add_members


@pytest.fixture
def postgres_url(database_url):
    """The test database's URL; the floor (psycopg's COPY and server-side cursor) is PostgreSQL's only."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the mailing's floor runs on PostgreSQL only")
    return database_url


def test_the_mailing_floor_stores_and_sends_each_members_message_once_on_postgresql(app, seeded, postgres_url, server):
    _add_members(app, 30)
    assert mailing_floor.floor_round(postgres_url, server.host, BODY, 30) > 0
    worker_bench.check_received(server.received(), 30, "mailing floor")


def test_the_mailing_floor_fails_when_a_member_is_not_sent_on_postgresql(app, seeded, postgres_url, server):
    _add_members(app, 30)
    with pytest.raises(RuntimeError, match="not 31"):
        mailing_floor.floor_round(postgres_url, server.host, BODY, 31)
