"""All mail goes through the outbox; the file backend and the development mailbox."""

from crm import create_app
from crm.extensions import db
from crm.outbox.services import queue_message
from tests.outbox.seams import send_due_messages


def _dev_app(tmp_path, **extra):
    app = create_app(
        {
            "CRM_ENV": "development",
            "INSTANCE_PATH": tmp_path,
            "MAIL_WORKER_THREAD": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
            **extra,
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    return app


def test_file_backend_writes_eml_files_and_the_dev_mailbox_shows_them(tmp_path):
    app = _dev_app(tmp_path)
    with app.app_context():
        queue_message(
            db.session,
            kind="test",
            to="someone@example.org",
            subject="Hello from the outbox",
            text="Open http://localhost/confirm/abc to confirm.",
        )
        db.session.commit()
        assert send_due_messages() == 1
        db.engine.dispose()
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    client = app.test_client()
    page = client.get("/dev/mailbox/").get_data(as_text=True)
    assert "Hello from the outbox" in page
    message = client.get(f"/dev/mailbox/{files[0].name}").get_data(as_text=True)
    assert 'href="http://localhost/confirm/abc"' in message


def test_dev_mailbox_does_not_exist_outside_development(client):
    assert client.get("/dev/mailbox/").status_code == 404


def test_dev_mailbox_refuses_path_tricks(tmp_path):
    app = _dev_app(tmp_path)
    client = app.test_client()
    assert client.get("/dev/mailbox/..%2Fsecret_key").status_code == 404
    assert client.get("/dev/mailbox/secret_key").status_code == 404


def test_mail_redirect_to_sends_everything_to_one_address(app, mailbox):
    app.config["MAIL_REDIRECT_TO"] = "staging@itpo.example"
    try:
        with app.app_context():
            queue_message(db.session, kind="test", to="real.person@example.org", subject="s", text="t")
            db.session.commit()
        sent = mailbox.deliver()
    finally:
        app.config["MAIL_REDIRECT_TO"] = None
    assert sent[-1]["To"] == "staging@itpo.example"


def test_a_message_is_sent_once_even_when_two_workers_claim(app, mailbox):
    from tests.outbox.seams import claim_batch

    with app.app_context():
        queue_message(db.session, kind="test", to="a@example.org", subject="s", text="t")
        db.session.commit()
        first = claim_batch(db.session, "worker-a")
        db.session.commit()
        second = claim_batch(db.session, "worker-b")
        db.session.commit()
    assert len(first) == 1 and second == []
