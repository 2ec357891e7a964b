"""a message marked accepted enters one index fewer; a recipient's message is recorded without a per-row check
(issue 23)

On PostgreSQL `ix_outbound_messages_due` holds only the messages still to be sent or settled, or needing an admin
(queued, sending, unknown, deferred, failed): every query through it asks for those, and marking a sent message
accepted (a new row version, as its status changes) then enters six indexes, not seven. SQLite keeps every row: its
planner would not see that `status = 'queued'` implies the IN list.

`mailing_recipients.message_id` loses its foreign key and index. The id is the one drawn for that member's outbox
message in the same transaction, outbox messages are never deleted (the retention job scrubs them), and nothing
looks a recipient up by its message; the check locked each message just written, 1.05 s of PostgreSQL's time in a
100,000-member mailing.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07 19:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None

CLAIM_INDEXED = ("queued", "sending", "unknown", "deferred", "failed")
DUE = ["status", "next_attempt_at", "id"]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        where = sa.text("status IN ({})".format(", ".join(f"'{status}'" for status in CLAIM_INDEXED)))
        op.drop_index("ix_outbound_messages_due", table_name="outbound_messages")
        op.create_index("ix_outbound_messages_due", "outbound_messages", DUE, postgresql_where=where)
    with op.batch_alter_table("mailing_recipients") as batch:
        batch.drop_constraint("fk_mailing_recipients_message_id_outbound_messages", type_="foreignkey")
        batch.drop_index("ix_mailing_recipients_message_id")


def downgrade():
    with op.batch_alter_table("mailing_recipients") as batch:
        batch.create_index("ix_mailing_recipients_message_id", ["message_id"], unique=False)
        batch.create_foreign_key(
            "fk_mailing_recipients_message_id_outbound_messages",
            "outbound_messages",
            ["message_id"],
            ["id"],
            ondelete="SET NULL",
        )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_outbound_messages_due", table_name="outbound_messages")
        op.create_index("ix_outbound_messages_due", "outbound_messages", DUE)
