"""The audit log page: admins filter by entity, actor and date; nobody can change the log."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.audit.services import AppendOnlyError
from crm.extensions import db


def _event(app, **values):
    with app.app_context():
        db.session.add(AuditEvent(**values))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def events(app, make_user):
    cora = make_user("committee", email="cora@example.org", name="Cora")
    lee = make_user("lead", email="lee@example.org", name="Lee")
    _event(
        app,
        actor_id=cora.id,
        action="create",
        entity_type="interactions",
        entity_id=7,
        changes={"title": [None, "CPSO meeting"]},
        ip_address="203.0.113.9",
    )
    _event(
        app,
        actor_id=lee.id,
        action="update",
        entity_type="people",
        entity_id=3,
        changes={"title": ["Registrar", "Deputy registrar"]},
        ip_address="198.51.100.4",
    )
    _event(
        app,
        actor_id=lee.id,
        action="merge",
        entity_type="organizations",
        entity_id=5,
        created_at=datetime.now() - timedelta(days=40),
    )
    return cora, lee


def _admin(browser, make_user):
    make_user("admin", email="admin@example.org")
    browser.login("admin@example.org")


def test_admin_sees_who_did_what_when_and_from_where(browser, make_user, events):
    _admin(browser, make_user)
    html = browser.get("/admin/audit/").get_data(as_text=True)
    assert "cora@example.org" in html and "203.0.113.9" in html and "CPSO meeting" in html
    assert "Registrar" in html and "Deputy registrar" in html


def test_admin_filters_by_entity_actor_and_date(browser, make_user, events):
    _admin(browser, make_user)
    by_entity = browser.get("/admin/audit/?entity_type=people").get_data(as_text=True)
    assert "Deputy registrar" in by_entity and "CPSO meeting" not in by_entity
    by_actor = browser.get("/admin/audit/?actor=cora").get_data(as_text=True)
    assert "CPSO meeting" in by_actor and "Deputy registrar" not in by_actor and "1 event." in by_actor
    recent = (date.today() - timedelta(days=7)).isoformat()
    by_date = browser.get(f"/admin/audit/?date_from={recent}").get_data(as_text=True)
    assert "merge" not in by_date.split("<tbody>")[1]
    old = browser.get(f"/admin/audit/?date_to={(date.today() - timedelta(days=30)).isoformat()}")
    assert "1 event." in old.get_data(as_text=True)
    assert browser.get("/admin/audit/?entity_id=7&date_from=junk&actor=%25").status_code == 200


def test_only_admins_open_the_audit_log(browser, make_user):
    make_user("lead", email="lead@example.org")
    browser.login("lead@example.org")
    assert browser.get("/admin/audit/").status_code == 403


def test_audit_events_cannot_be_changed_or_deleted(app, events):
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
        event.action = "forged"
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditEvent)))
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()


def test_changing_a_user_is_recorded_with_before_and_after(app, browser, make_user):
    target = make_user("member", email="target@example.org")
    _admin(browser, make_user)
    browser.post(f"/admin/users/{target.id}/role", {"role": "committee"}, page="/admin/users")
    html = browser.get(f"/admin/audit/?entity_type=users&entity_id={target.id}&action=update").get_data(as_text=True)
    assert "member → committee" in html and "admin@example.org" in html
