"""outbox: the due index holds the claim order (status, next attempt, id)

A worker claims `ORDER BY next_attempt_at, id LIMIT n`; with the id in the index the database reads the
first n due rows in order instead of sorting every queued row for each claim (a 100,000-member call to
action made every claim a full sort).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 00:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_due")
        batch_op.create_index("ix_outbound_messages_due", ["status", "next_attempt_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_due")
        batch_op.create_index("ix_outbound_messages_due", ["status", "next_attempt_at"], unique=False)
