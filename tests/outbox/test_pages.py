"""Admin's delivery problems page, leads' address health, and the access table for outbox routes."""

from crm.auth.access import ACCESS
from crm.outbox.models import AddressHealth, OutboundMessage
from crm.outbox.services import queue_message


def problem(session, status, to="mpp@example.org"):
    message = queue_message(session, kind="letter", to=to, subject="s", text="t")
    message.status = status
    message.last_error = f"{status} for a reason"
    session.commit()
    return message.id


def test_every_outbox_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("outbox.")}
    assert endpoints and endpoints <= set(ACCESS)


def test_admin_sees_unknown_and_failed_messages_and_can_resend_and_cancel(browser, session, make_user):
    admin = make_user("admin")
    unknown, failed, fine = problem(session, "unknown"), problem(session, "failed"), problem(session, "accepted")
    browser.login(admin.email)
    html = browser.get("/admin/outbox").get_data(as_text=True)
    assert "unknown for a reason" in html and "failed for a reason" in html and "accepted" not in html
    assert "failed for a reason" not in browser.get("/admin/outbox?status=unknown").get_data(as_text=True)
    assert browser.post(f"/admin/outbox/{unknown}/resend", page="/admin/outbox").status_code == 302
    assert browser.post(f"/admin/outbox/{failed}/cancel", page="/admin/outbox").status_code == 302
    session.expire_all()
    resent = session.get(OutboundMessage, unknown)
    assert resent.status == "queued" and resent.possible_duplicate is True
    assert session.get(OutboundMessage, failed).status == "cancelled"
    response = browser.post(f"/admin/outbox/{fine}/cancel", page="/admin/outbox", follow_redirects=True)
    assert "can no longer be cancelled" in response.get_data(as_text=True)
    assert session.get(OutboundMessage, fine).status == "accepted"


def test_resend_needs_a_csrf_token(browser, session, make_user):
    admin = make_user("admin")
    message_id = problem(session, "failed")
    browser.login(admin.email)
    browser.client.post(f"/admin/outbox/{message_id}/resend")
    session.expire_all()
    assert session.get(OutboundMessage, message_id).status == "failed"


def test_members_and_leads_cannot_see_the_delivery_problems(browser, make_user):
    for role in ("member", "committee", "lead"):
        user = make_user(role)
        browser.login(user.email)
        assert browser.get("/admin/outbox").status_code == 403
        assert browser.post("/admin/outbox/1/resend", page="/home").status_code == 403
        browser.logout()


def test_leads_see_failing_addresses_and_members_do_not(browser, session, make_user):
    session.add(AddressHealth(address="gone@ola.org", bounces=4, failing=True, last_reason="550 user unknown"))
    session.commit()
    lead, member, committee = make_user("lead"), make_user("member"), make_user("committee")
    browser.login(lead.email)
    html = browser.get("/outbox/addresses").get_data(as_text=True)
    assert "gone@ola.org" in html and "failing" in html
    assert "Address health" in browser.get("/home").get_data(as_text=True)
    browser.logout()
    for user in (member, committee):
        browser.login(user.email)
        assert browser.get("/outbox/addresses").status_code == 403
        browser.logout()


def test_the_development_mailbox_is_hidden_outside_development(client):
    assert client.get("/dev/mailbox/").status_code == 404


def test_the_admin_list_runs_the_same_queries_however_many_rows(app, browser, session, make_user):
    from sqlalchemy import event

    from crm.extensions import db

    admin = make_user("admin")
    browser.login(admin.email)
    statements = []

    def count(*args):
        statements.append(1)

    def queries_for(rows: int) -> int:
        for i in range(rows):
            problem(session, "failed", to=f"x{i}@example.org")
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert browser.get("/admin/outbox").status_code == 200
            assert browser.get("/outbox/addresses").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert queries_for(2) == queries_for(30)
