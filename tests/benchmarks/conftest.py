"""Fixtures of the benchmarks' own tests: they check that a round still counts, never how fast it is."""

from __future__ import annotations

import pytest

from tests.outbox.fake_sendgrid import FakeSendGrid


class _Server:
    """The fake SendGrid in this process, with the bench's `host` and `received()` (count, then forget)."""

    def __init__(self):
        self.fake = FakeSendGrid().start()
        self.host = self.fake.host

    def received(self):
        ids = self.fake.message_ids()
        self.fake.reset()
        return ids


@pytest.fixture
def server():
    server = _Server()
    yield server
    server.fake.stop()
