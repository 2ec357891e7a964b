"""A member unsubscribes from a campaign email in one click in a browser; a script-less fetch changes nothing."""

import urllib.request

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def _member_link(live_server, email):
    from crm.auth.services import create_user
    from crm.extensions import db
    from crm.outbox.bulk import unsubscribe_token

    with live_server.app.app_context():
        user = create_user(db.session, email=email, password=PASSWORD, role="member", confirmed=True, name="Una")
        db.session.commit()
        link = f"{live_server.url}/unsubscribe/{unsubscribe_token(user.email, user.id)}"
        db.session.remove()
    return link


def _suppressed(live_server, email) -> bool:
    from crm.extensions import db
    from crm.outbox.models import Suppression

    with live_server.app.app_context():
        found = db.session.scalar(select(Suppression.id).where(Suppression.address == email)) is not None
        db.session.remove()
    return found


def test_a_link_scanner_fetching_the_unsubscribe_link_unsubscribes_no_one(live_server):
    email = "scanned@example.org"
    link = _member_link(live_server, email)
    with urllib.request.urlopen(link) as response:  # what a mail scanner or a link preview does
        assert response.status == 200
    assert not _suppressed(live_server, email)


def test_a_member_opening_the_unsubscribe_link_is_unsubscribed_in_one_click(page, live_server):
    email = "una@example.org"
    page.goto(_member_link(live_server, email))
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    screenshot(page, "unsubscribed")
    assert _suppressed(live_server, email)
