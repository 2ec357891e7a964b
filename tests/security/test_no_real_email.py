"""No real email leaves a development machine or the test suite; only production talks to SendGrid.

The shipped roster holds real MPP addresses and the tests write letters to them, so this matters. Elsewhere:
SendGrid refuses to start without an API key (tests/outbox/test_worker.py) and MAIL_REDIRECT_TO sends
everything to one address on staging (tests/outbox/test_mail_seam.py).
"""

from urllib.parse import urlsplit

from crm import create_app
from crm.outbox.backends import FileMailer, MemoryMailer


def test_the_test_suite_delivers_to_a_list_in_memory(app):
    assert isinstance(app.extensions["crm.mailer"], MemoryMailer)


def test_development_writes_mail_to_files_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    app = create_app({"CRM_ENV": "development", "INSTANCE_PATH": tmp_path, "MAIL_WORKER_THREAD": False})
    mailer = app.extensions["crm.mailer"]
    assert isinstance(mailer, FileMailer) and mailer.directory == tmp_path / "mail"


def test_the_sendgrid_the_tests_talk_to_is_a_fake_on_this_machine(sendgrid):
    assert urlsplit(sendgrid.host).hostname in ("127.0.0.1", "localhost", "::1")
