"""The admin's pages in French (issue 25): an admin who chose FR invites someone; the pages and messages are in
French, but the invitation email is in English, as the invited person has no language yet."""

from __future__ import annotations

import pytest

from tests.auth.test_invitations import _invite


@pytest.fixture
def admin(browser, make_user):
    make_user(role="admin", email="boss@example.org")
    browser.login("boss@example.org")
    return browser


def test_an_admin_invites_in_french_and_the_invitation_goes_out_in_english(admin, mailbox):
    admin.post("/language", data={"lang": "fr", "next": "/admin/invitations"}, page="/admin/invitations")
    page = admin.get("/admin/invitations").get_data(as_text=True)
    assert '<html lang="fr"' in page and "Invitez quelqu" in page and "Aucune invitation pour l" in page

    listing = admin.get(_invite(admin).headers["Location"]).get_data(as_text=True)
    assert "en attente jusqu" in listing and "Révoquer" in listing and "Renvoyer" in listing
    mail = mailbox.deliver()[-1]
    assert mail["Subject"] == "You are invited to the ITPO CRM"
    assert "You are invited to the ITPO CRM as lead." in mail.get_body(preferencelist=("plain",)).get_content()

    users = admin.get("/admin/users").get_data(as_text=True)
    assert "Utilisateurs, les plus récents d&#39;abord" in users or "Utilisateurs, les plus récents d'abord" in users
