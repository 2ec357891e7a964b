"""Test seams on the outbox: claim a batch by id, send what is due in this thread."""

from flask import current_app

from crm.outbox.services import claim_messages, worker_name
from crm.outbox.worker import run_pass


def claim_batch(session, owner: str, limit: int = 20) -> list[int]:
    """Claim up to `limit` due messages under `owner`'s lease, as a worker does; their ids."""
    return [message.id for message in claim_messages(session, owner, limit)]


def send_due_messages(limit: int = 20) -> int:
    """Claim and send one batch in this thread; how many were handed over."""
    return run_pass(current_app._get_current_object(), worker_name(), limit=limit)
