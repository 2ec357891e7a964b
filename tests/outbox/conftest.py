"""Fixtures for delivery tests: a fake SendGrid server and the app pointed at it."""

import pytest

from crm.outbox.backends import SendGridMailer
from tests.outbox.fake_sendgrid import API_KEY, FakeSendGrid


@pytest.fixture(scope="session")
def fake_server():
    server = FakeSendGrid().start()
    yield server
    server.stop()


@pytest.fixture
def sendgrid(app, fake_server):
    """The app sends through SendGrid (the fake), with its webhook key; restored afterwards."""
    saved_mailer = app.extensions["crm.mailer"]
    saved = {
        key: app.config.get(key)
        for key in (
            "SENDGRID_WEBHOOK_PUBLIC_KEY",
            "MAIL_RETRY_BASE_SECONDS",
            "MAIL_UNKNOWN_WAIT_SECONDS",
            "MAIL_UNKNOWN_ACTION",
        )
    }
    fake_server.reset()
    app.extensions["crm.mailer"] = SendGridMailer(API_KEY, fake_server.host, timeout=5)
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = fake_server.public_key()
    yield fake_server
    fake_server.reset()
    app.extensions["crm.mailer"] = saved_mailer
    app.config.update(saved)
