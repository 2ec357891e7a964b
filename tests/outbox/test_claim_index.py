"""The claim index holds only what is in flight on PostgreSQL (migration 0047): every query that asks for those
statuses can still be answered through it, and a message marked accepted leaves the outbox's in-flight counts."""

import pytest
from sqlalchemy import func, select, text

from crm.extensions import db
from crm.ops.health import WAITING
from crm.ops.metrics import IN_FLIGHT
from crm.outbox.models import CLAIM_INDEXED, OutboundMessage
from crm.outbox.services import messages_needing_attention, queue_message, utcnow


def _plan(session, statement) -> str:
    """PostgreSQL's plan for `statement` with sequential scans ruled out, so a usable index is used."""
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    "where",
    [
        (OutboundMessage.status == "queued", OutboundMessage.next_attempt_at <= utcnow()),  # the claim
        (OutboundMessage.status == "sending", OutboundMessage.lease_until < utcnow()),  # the lease sweep
        (OutboundMessage.status.in_(IN_FLIGHT),),  # /metrics
        (OutboundMessage.status.in_(WAITING),),  # /health
    ],
    ids=["claim", "lease sweep", "metrics in flight", "health waiting"],
)
def test_every_query_for_messages_in_flight_can_use_the_claim_index(app, session, where):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's claim index holds every row")
    plan = _plan(session, select(OutboundMessage.id).where(*where))
    session.rollback()
    assert "ix_outbound_messages_due" in plan, plan


def test_the_admin_list_of_unknown_and_failed_messages_can_use_the_claim_index(app, session):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's claim index holds every row")
    assert {"unknown", "failed"} <= set(CLAIM_INDEXED) and set(IN_FLIGHT) | set(WAITING) <= set(CLAIM_INDEXED)
    plan = _plan(session, messages_needing_attention())
    session.rollback()
    assert "ix_outbound_messages_due" in plan, plan


def test_a_message_marked_accepted_is_no_longer_counted_in_flight(app, session):
    message = queue_message(session, kind="test", to="someone@example.org", subject="Hello", text="Hello")
    session.commit()
    in_flight = select(func.count()).where(OutboundMessage.status.in_(IN_FLIGHT))
    assert session.scalar(in_flight) == 1
    message.status = "accepted"
    session.commit()
    assert session.scalar(in_flight) == 0
    assert session.scalar(select(func.count()).where(OutboundMessage.status == "accepted")) == 1
