"""Audit hook: listens to session flushes so no service has to remember to log."""

from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.lib.bulk import insert_rows

# Fields never written to the audit log, whatever the model.
SECRET_FIELDS = {"password_hash", "totp_secret", "session_version", "last_login_at", "updated_at", "created_at"}
_audited: set[type] = set()


def audited(cls):
    """Class decorator: changes to rows of this model are written to the audit log."""
    _audited.add(cls)
    return cls


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _changes(obj, only_changed: bool) -> dict:
    state = inspect(obj)
    result = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_FIELDS or any(column.computed is not None for column in attr.columns):
            continue  # (a generated column, e.g. people.search_name, follows its source column, which is audited)
        history = state.attrs[key].history
        if only_changed:
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if _plain(before) == _plain(after):
                continue
            result[key] = [_plain(before), _plain(after)]
        else:
            result[key] = [None, _plain(getattr(obj, key))]
    return result


def _actor_and_ip():
    if not has_request_context():
        return None, None
    from flask_login import current_user

    actor = current_user.id if getattr(current_user, "is_authenticated", False) else None
    return actor, request.remote_addr


def record(session: Session, action: str, entity_type: str, entity_id: int | None, changes: dict | None = None):
    """Write an explicit audit event (e.g. a merge) in the caller's transaction."""
    actor, ip = _actor_and_ip()
    session.add(
        AuditEvent(
            actor_id=actor, action=action, entity_type=entity_type, entity_id=entity_id, changes=changes, ip_address=ip
        )
    )


def record_many(session: Session, events: list[tuple[str, str, int | None, dict | None]]) -> None:
    """Write many explicit events (action, entity type, entity id, changes) with one bulk insert, e.g. an import's."""
    if not events:
        return
    actor, ip = _actor_and_ip()
    insert_rows(
        session,
        AuditEvent.__table__,
        [
            {
                "actor_id": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "changes": changes,
                "ip_address": ip,
            }
            for action, entity_type, entity_id, changes in events
        ],
    )


@event.listens_for(Session, "before_flush")
def _audit_updates_and_deletes(session, flush_context, instances):
    if session.info.get("audit_disabled"):
        return
    for obj in list(session.dirty):
        if type(obj) in _audited and session.is_modified(obj, include_collections=False):
            changes = _changes(obj, only_changed=True)
            if changes:
                record(session, "update", obj.__tablename__, obj.id, changes)
    for obj in list(session.deleted):
        if type(obj) in _audited:
            record(session, "delete", obj.__tablename__, obj.id, None)
    session.info["audit_new"] = [obj for obj in session.new if type(obj) in _audited]


@event.listens_for(Session, "after_flush_postexec")
def _audit_creates(session, flush_context):
    for obj in session.info.pop("audit_new", []):
        actor, ip = _actor_and_ip()
        session.add(
            AuditEvent(
                actor_id=actor,
                action="create",
                entity_type=obj.__tablename__,
                entity_id=obj.id,
                changes=_changes(obj, only_changed=False),
                ip_address=ip,
            )
        )


class AppendOnlyError(RuntimeError):
    """The audit log is append-only: its rows are never changed or deleted through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("audit events cannot be changed or deleted")


def search_events(*, entity_type=None, entity_id=None, actor=None, action=None, date_from=None, date_to=None):
    """Audit events with their actor's email, newest first; every argument optional.

    The audit log sits below accounts, so it reads the users table by name rather than importing its model.
    """
    from datetime import datetime, time, timedelta

    from sqlalchemy import or_, select

    users = db.metadata.tables["users"]
    stmt = select(AuditEvent, users.c.email).outerjoin(users, users.c.id == AuditEvent.actor_id)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        escaped = actor.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(or_(users.c.email.ilike(pattern, escape="\\"), users.c.name.ilike(pattern, escape="\\")))
    if date_from:
        stmt = stmt.where(AuditEvent.created_at >= datetime.combine(date_from, time.min))
    if date_to:
        stmt = stmt.where(AuditEvent.created_at < datetime.combine(date_to + timedelta(days=1), time.min))
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
