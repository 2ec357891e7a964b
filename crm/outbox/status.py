"""How an outgoing message's status moves: forward only, checked in the UPDATE itself, announced by signal.

The worker (services), the webhook and the admin pages all move statuses through here.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from crm.lib.sql import in_ids
from crm.outbox.models import STATUS_RANK, OutboundMessage
from crm.outbox.signals import message_status_changed

# Provider events and the status each one proves.
EVENT_STATUS = {
    "processed": "accepted",
    "deferred": "deferred",
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "dropped",
}


def announce(session: Session, message_id: int, kind: str, user_id: int | None, old: str, new: str) -> None:
    if old != new:
        message_status_changed.send(
            current_app._get_current_object(),
            session=session,
            message_id=message_id,
            kind=kind,
            user_id=user_id,
            old_status=old,
            new_status=new,
        )


def conditional_move(
    session: Session,
    messages: list[OutboundMessage],
    from_statuses: tuple[str, ...],
    new: str,
    owner: str | None = None,
    **values,
) -> set[int]:
    """Move the rows only while they are still in one of `from_statuses` (and leased by `owner`): a webhook
    event or an admin may have moved them meanwhile, and statuses never go back. Returns the moved ids.

    The announced old status is the one the caller loaded."""
    if not messages:
        return set()
    stmt = update(OutboundMessage).where(
        in_ids(session, OutboundMessage.id, [m.id for m in messages]), OutboundMessage.status.in_(from_statuses)
    )
    if owner is not None:
        stmt = stmt.where(OutboundMessage.lease_owner == owner)
    moved = set(
        session.execute(
            stmt.values(status=new, **values).returning(OutboundMessage.id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )
    for message in messages:
        if message.id in moved:
            announce(session, message.id, message.kind, message.user_id, message.status, new)
    return moved


def moves_forward(old: str, new: str) -> bool:
    """Statuses only move forward: a late `deferred` never undoes `delivered`."""
    return STATUS_RANK[new] > STATUS_RANK[old]


def apply_event_status(session: Session, message: OutboundMessage, status: str, provider_id: str | None) -> bool:
    """Move the message to `status` if that is forward of where it is (checked in the UPDATE itself)."""
    behind = tuple(old for old, rank in STATUS_RANK.items() if rank < STATUS_RANK[status])
    values = {"lease_owner": None, "lease_until": None, "unknown_since": None}
    moved = conditional_move(session, [message], behind, status, **values)
    if moved and provider_id:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message.id, OutboundMessage.provider_message_id.is_(None))
            .values(provider_message_id=provider_id),
            execution_options={"synchronize_session": False},
        )
    session.expire(message)
    return bool(moved)
