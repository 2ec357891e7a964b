"""the outbox finds messages by address through a hash index on PostgreSQL (issue 23)

`ix_outbound_messages_to_address_next` (a B-tree on the address and the next attempt) becomes
`ix_outbound_messages_to_address`: every query by address asks for one address or a list of them (the unsubscribe
cancelling what is queued, a colleague's invitation not sent twice, the pacing of one address), and on PostgreSQL
it is a hash index, whose entries are 4-byte hashes. A message then enters it without comparing addresses by
collation, both when it is written and when it is marked accepted (a new row version): 6.5 of the 32 µs that
marking a row accepted took here. SQLite keeps a B-tree on the address.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-07 19:10:00

"""

from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_outbound_messages_to_address_next", table_name="outbound_messages")
    op.create_index("ix_outbound_messages_to_address", "outbound_messages", ["to_address"], postgresql_using="hash")


def downgrade():
    op.drop_index("ix_outbound_messages_to_address", table_name="outbound_messages")
    op.create_index("ix_outbound_messages_to_address_next", "outbound_messages", ["to_address", "next_attempt_at"])
