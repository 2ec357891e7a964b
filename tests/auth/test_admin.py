"""Admins list, search, promote and deactivate users; the first admin comes from the CLI."""

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.models import User
from tests.conftest import Browser


def test_admin_searches_users_by_name_or_email(browser, make_user):
    make_user(role="admin", email="boss@example.org")
    make_user(email="fatima@example.org", name="Fatima Haddad")
    make_user(email="li@example.org", name="Li Wei")
    browser.login("boss@example.org")
    page = browser.get("/admin/users?q=haddad").get_data(as_text=True)
    assert "fatima@example.org" in page and "li@example.org" not in page
    page = browser.get("/admin/users?role=admin").get_data(as_text=True)
    assert "boss@example.org" in page and "fatima@example.org" not in page


def test_admin_changes_a_role_and_it_is_audited(browser, make_user, session):
    make_user(role="admin", email="boss@example.org")
    member = make_user(email="rising@example.org")
    browser.login("boss@example.org")
    response = browser.post(f"/admin/users/{member.id}/role", {"role": "committee"}, page="/admin/users")
    assert response.status_code == 302
    assert session.get(User, member.id).role == "committee"
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "users", AuditEvent.entity_id == member.id, AuditEvent.action == "update"
        )
    )
    assert event.changes["role"] == ["member", "committee"]
    assert event.actor_id is not None and "password_hash" not in event.changes


def test_an_unknown_role_is_refused(browser, make_user, session):
    make_user(role="admin", email="boss@example.org")
    member = make_user(email="m@example.org")
    browser.login("boss@example.org")
    browser.post(f"/admin/users/{member.id}/role", {"role": "superuser"}, page="/admin/users")
    assert session.get(User, member.id).role == "member"


def test_deactivating_a_user_ends_their_sessions_and_blocks_login(app, browser, make_user, session):
    make_user(role="admin", email="boss@example.org")
    member = make_user(email="leaving@example.org")
    theirs = Browser(app.test_client())
    theirs.login("leaving@example.org")
    assert theirs.get("/home").status_code == 200
    browser.login("boss@example.org")
    browser.post(f"/admin/users/{member.id}/active", {}, page="/admin/users")
    assert session.get(User, member.id).active is False
    assert theirs.get("/home").status_code == 302
    assert "do not match an active account" in theirs.login("leaving@example.org").get_data(as_text=True)


def test_admins_cannot_lock_themselves_out(browser, make_user, session):
    admin = make_user(role="admin", email="boss@example.org")
    browser.login("boss@example.org")
    browser.post(f"/admin/users/{admin.id}/active", {}, page="/admin/users")
    browser.post(f"/admin/users/{admin.id}/role", {"role": "member"}, page="/admin/users")
    fresh = session.get(User, admin.id)
    assert fresh.active and fresh.role == "admin"


def test_cli_creates_a_confirmed_user_with_a_role(runner, session):
    result = runner.invoke(
        args=[
            "crm",
            "create-user",
            "--email",
            "Lead@Example.org",
            "--role",
            "lead",
            "--name",
            "Campaign Lead",
            "--password",
            "a long lead passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "lead@example.org"))
    assert user.role == "lead" and user.email_confirmed_at is not None


def test_cli_refuses_a_weak_password_with_a_message(runner):
    result = runner.invoke(args=["crm", "create-user", "--email", "x@example.org", "--password", "password"])
    assert result.exit_code != 0 and "most common" in result.output
