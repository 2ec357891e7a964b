"""Admins invite people by email with a role; the link sets the password (staff then set up two-step), works
once and for 7 days; invitations are listed, revoked and resent, and audit-logged."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.models import Invitation, User

NEW_PASSWORD = "a long and quiet river"


@pytest.fixture
def admin(browser, make_user):
    make_user(role="admin", email="boss@example.org")
    browser.login("boss@example.org")
    return browser


def _invite(admin, email="lee@example.org", role="lead", name="Lee Chen"):
    return admin.post("/admin/invitations", {"email": email, "role": role, "name": name})


def _accept(browser, link, password=NEW_PASSWORD, name="Lee Chen"):
    return browser.post(link, {"name": name, "password": password, "confirm": password}, page=link)


def test_an_invited_lead_sets_a_password_and_is_sent_to_two_step_setup(app, admin, mailbox, session):
    assert _invite(admin).status_code == 302
    link = mailbox.last_link("/invitation/")
    body = mailbox.sent[-1].get_body(preferencelist=("plain",)).get_content()
    assert mailbox.sent[-1]["To"] == "lee@example.org" and "as lead" in body and "7 days" in body
    assert "two-step" in body
    guest = app.test_client()
    from tests.conftest import Browser

    guest = Browser(guest)
    page = guest.get(link).get_data(as_text=True)
    assert "You are invited as <strong>lead</strong>" in page
    response = _accept(guest, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-step")
    assert "Key:" in guest.get("/account/two-step").get_data(as_text=True)
    user = session.scalar(select(User).where(User.email == "lee@example.org"))
    assert user.role == "lead" and user.email_confirmed_at is not None and user.name == "Lee Chen"
    invitation = session.scalar(select(Invitation))
    assert invitation.status == "accepted" and invitation.user_id == user.id
    actions = {e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "invitations"))}
    assert actions == {"invite", "accept"}


def test_an_invited_member_lands_on_their_home_page(app, admin, mailbox):
    _invite(admin, "mo@example.org", "member", "Mo")
    link = mailbox.last_link("/invitation/")
    from tests.conftest import Browser

    guest = Browser(app.test_client())
    response = _accept(guest, link, name="Mo")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")


def test_a_used_link_gets_a_clear_page_and_opens_nothing_twice(app, admin, mailbox, session):
    _invite(admin)
    link = mailbox.last_link("/invitation/")
    from tests.conftest import Browser

    guest = Browser(app.test_client())
    _accept(guest, link)
    again = Browser(app.test_client()).get(link)
    assert again.status_code == 410 and "This invitation has already been used" in again.get_data(as_text=True)
    assert len(session.scalars(select(User).where(User.email == "lee@example.org")).all()) == 1


def test_an_expired_link_gets_a_clear_page(app, admin, mailbox, session):
    _invite(admin)
    link = mailbox.last_link("/invitation/")
    invitation = session.scalar(select(Invitation))
    invitation.expires_at = datetime.utcnow() - timedelta(seconds=1)
    session.commit()
    response = admin.get(link)
    assert response.status_code == 410 and "This invitation has expired" in response.get_data(as_text=True)
    assert "7 days" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["garbage", "x" * 5000, "eyJpZCI6MX0.bad.sig", "%00"])
def test_a_forged_or_garbled_link_gets_a_clear_page(admin, token):
    response = admin.get(f"/invitation/{token}")
    assert response.status_code in (404, 410)
    if response.status_code == 410:
        assert "This invitation link does not work" in response.get_data(as_text=True)


def test_revoking_stops_the_link_and_resending_replaces_it(app, admin, mailbox, session):
    _invite(admin)
    first = mailbox.last_link("/invitation/")
    invitation_id = session.scalar(select(Invitation.id))
    admin.post(f"/admin/invitations/{invitation_id}/revoke", page="/admin/invitations")
    assert "This invitation was withdrawn" in admin.get(first).get_data(as_text=True)
    admin.post(f"/admin/invitations/{invitation_id}/resend", page="/admin/invitations")
    second = mailbox.last_link("/invitation/")
    assert second != first
    assert "does not work" in admin.get(first).get_data(as_text=True)  # the old link is superseded
    assert "Open your account" in admin.get(second).get_data(as_text=True)
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "invitations").order_by(AuditEvent.id)
        )
    ]
    assert actions == ["invite", "revoke", "resend"]
    listing = admin.get("/admin/invitations").get_data(as_text=True)
    assert "lee@example.org" in listing and "pending until" in listing


def test_inviting_an_address_with_an_account_offers_a_role_change_instead(admin, make_user, mailbox, session):
    member = make_user(email="rising@example.org", name="Rising Star")
    response = _invite(admin, "Rising@Example.org", "committee")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "rising@example.org already has an account" in html
    assert session.scalar(select(Invitation)) is None and mailbox.deliver() == []
    response = admin.post(f"/admin/users/{member.id}/role?q=rising@example.org", {"role": "committee"})
    assert response.status_code == 302 and "q=rising@example.org" in response.headers["Location"]
    session.expire_all()
    assert session.get(User, member.id).role == "committee"


def test_a_second_invitation_to_a_waiting_address_is_refused(admin, mailbox, session):
    _invite(admin)
    html = _invite(admin).get_data(as_text=True)
    assert "waiting to be accepted" in html
    assert len(session.scalars(select(Invitation)).all()) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "not-an-email", "role": "lead"}, "Enter an email address"),
        ({"email": "x@example.org", "role": "superuser"}, "Not a valid choice"),
        ({"email": "", "role": "lead"}, "Enter the address to invite"),
    ],
)
def test_bad_invitations_are_refused_on_the_form(admin, session, data, message):
    response = admin.post("/admin/invitations", data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert session.scalar(select(Invitation)) is None


def test_a_weak_password_on_the_invitation_keeps_it_pending(app, admin, mailbox, session):
    _invite(admin)
    link = mailbox.last_link("/invitation/")
    response = _accept(admin, link, password="short")
    assert response.status_code == 200 and session.scalar(select(Invitation)).status == "pending"


def test_only_admins_see_invitations(browser, make_user):
    make_user(role="lead", email="lead@example.org")
    browser.login("lead@example.org")
    assert browser.get("/admin/invitations").status_code == 403


def test_users_page_keeps_its_search_and_filter_after_a_role_change(admin, make_user, session):
    member = make_user(email="fatima@example.org", name="Fatima Haddad")
    page = admin.get("/admin/users?q=haddad&role=member").get_data(as_text=True)
    assert f"/admin/users/{member.id}/role?q=haddad&amp;role=member" in page
    response = admin.post(f"/admin/users/{member.id}/role?q=haddad&role=member", {"role": "committee"})
    assert response.headers["Location"].endswith("/admin/users?q=haddad&role=member")
    assert session.get(User, member.id).role == "committee"  # the form's role, not the filter's
