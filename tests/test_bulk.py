"""Writing many rows at once (crm/lib/bulk.py): COPY on PostgreSQL, multi-row INSERTs on SQLite."""

from datetime import datetime

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.lib.bulk import insert_rows, insert_rows_returning_ids, update_rows
from crm.stakeholders.models import Person


def test_bulk_inserts_give_each_row_its_own_id_in_order_across_statements(session):
    session.add(Person(full_name="Already Here", archived=False))
    session.flush()
    rows = [
        {"full_name": f"Bulk {n:04d}", "title": None if n % 3 else "Advisor", "archived": bool(n % 2)}
        for n in range(2_500)
    ]  # more rows than one SQLite statement takes
    ids = insert_rows_returning_ids(session, Person.__table__, rows)
    stored = dict(session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids))).all())
    assert len(set(ids)) == 2_500 and [stored[i] for i in ids] == [row["full_name"] for row in rows]
    assert session.scalar(select(Person.archived).where(Person.id == ids[1])) is True
    update_rows(session, Person.__table__, [{"id": ids[0], "title": "Director"}, {"id": ids[1], "title": None}])
    assert session.scalars(select(Person.title).where(Person.id.in_(ids[:2])).order_by(Person.id)).all() == [
        "Director",
        None,
    ]


def test_bulk_inserts_store_json_and_dates_as_the_orm_would(session):
    when = datetime(2026, 11, 25, 7, 30, 0)
    insert_rows(
        session,
        AuditEvent.__table__,
        [
            {
                "action": "import",
                "entity_type": "people",
                "entity_id": n,
                "changes": {"title": [None, f"T{n}"]},
                "created_at": when,
            }
            for n in range(3)
        ]
        + [{"action": "import", "entity_type": "people", "entity_id": 9, "changes": None, "created_at": when}],
    )
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.entity_id)).all()
    assert [event.changes for event in events] == [
        {"title": [None, "T0"]},
        {"title": [None, "T1"]},
        {"title": [None, "T2"]},
        None,
    ]
    assert all(event.created_at == when for event in events)


def test_garbage_collection_resumes_after_a_bulk_operation_even_one_that_failed():
    import gc

    from crm.lib.bulk import gc_paused

    @gc_paused()
    def failing():
        assert not gc.isenabled()
        raise ValueError("bad row")

    with pytest.raises(ValueError):
        failing()
    assert gc.isenabled()
    gc.disable()  # a caller that had paused it itself keeps it paused
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


TRICKY_TEXTS = [
    "Tab\there, a backslash \\ and \\N, a newline\nand a carriage return\r\n",
    "Spadina—Fort York, « député(e) provincial(e) », 🩺",
    "",
]


def test_a_mailings_outbox_rows_keep_every_character_and_value_in_copys_binary_format(app, session):
    from crm.outbox.bulk import personal_rows, queue_personal_emails, start_personal_batch
    from crm.outbox.models import OutboundMessage

    with app.test_request_context():
        batch = start_personal_batch(session, kind="call_to_action", subject="Write to your MPP")
        emails = [
            (None, f"member{n}@example.org", f"Subject {n} — {text[:10]}", text) for n, text in enumerate(TRICKY_TEXTS)
        ]
        ids = queue_personal_emails(session, batch, emails)
        made = personal_rows(batch, emails)
    stored = {
        message.id: message for message in session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids)))
    }
    for message_id, row in zip(ids, made, strict=True):
        message = stored[message_id]
        assert (message.to_address, message.subject, message.text_body) == (
            row["to_address"],
            row["subject"],
            row["text_body"],
        )
        assert (message.status, message.attempts, message.possible_duplicate, message.user_id) == (
            "queued",
            0,
            False,
            None,
        )
        assert message.unsubscribe_url == row["unsubscribe_url"] and message.batch_id == batch.id
        assert abs((message.next_attempt_at - row["next_attempt_at"]).total_seconds()) < 1


def test_binary_copy_is_chosen_only_for_columns_of_plain_types():
    from crm.lib.bulk import binary_types
    from crm.mailings.models import MailingRecipient
    from crm.outbox.models import OutboundMessage

    columns = ["id", "kind", "user_id", "batch_id", "subject", "text_body", "attempts", "next_attempt_at"]
    assert binary_types(OutboundMessage.__table__, [*columns, "possible_duplicate"]) == [
        "int4", "text", "int4", "int4", "text", "text", "int4", "timestamp", "bool"
    ]  # fmt: skip
    assert binary_types(MailingRecipient.__table__, ["mailing_id", "user_id", "message_id", "skipped_reason"])
    assert binary_types(AuditEvent.__table__, ["action", "changes"]) is None  # JSON goes in as text
