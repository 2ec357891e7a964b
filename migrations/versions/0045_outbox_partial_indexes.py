"""the outbox indexes only messages that were sent (issue 23)

`ix_outbound_messages_sent_at` and `ix_outbound_messages_provider_message_id` index only rows with a value: every
query through them asks for one (sends in the last minutes; a webhook event's message), and a queued or sending
message, which has neither, then enters two indexes fewer when it is queued and when it is claimed.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-06 23:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

COLUMNS = ("sent_at", "provider_message_id")


def upgrade():
    for column in COLUMNS:
        name = f"ix_outbound_messages_{column}"
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="outbound_messages")
        op.create_index(name, "outbound_messages", [column], postgresql_where=where, sqlite_where=where)


def downgrade():
    for column in COLUMNS:
        name = f"ix_outbound_messages_{column}"
        op.drop_index(name, table_name="outbound_messages")
        op.create_index(name, "outbound_messages", [column])
