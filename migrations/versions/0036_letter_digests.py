"""letter digests: a campaign may send an office its letters as one daily digest (issue 21, item 7)

campaigns.letter_delivery is "one_by_one" (every existing campaign, the default) or "daily_digest". A digest
campaign's letter is written with for_digest true and no outbox message; crm/campaigns/digest.py later builds one
letter_digests row and one outbox message per office and day, and points each letter's message_id at it. The
unique (campaign, address, day, part) key is what lets only one worker build a given digest. A partial index holds
the letters still waiting, so finding them stays cheap however many letters the table holds.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-05 12:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

WAITING = "for_digest AND message_id IS NULL"


def upgrade():
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("letter_delivery", sa.String(length=12), server_default="one_by_one", nullable=False)
        )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_digest", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(
            "ix_letters_awaiting_digest",
            ["campaign_id", "to_address"],
            unique=False,
            postgresql_where=sa.text(WAITING),
            sqlite_where=sa.text(WAITING),
        )
    op.create_table(
        "letter_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letter_digests_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_letter_digests_message_id_outbound_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_digests")),
        sa.UniqueConstraint(
            "campaign_id",
            "to_address",
            "sent_on",
            "part",
            name=op.f("uq_letter_digests_campaign_id_to_address_sent_on_part"),
        ),
    )
    with op.batch_alter_table("letter_digests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_digests_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_digests_message_id"), ["message_id"], unique=False)


def downgrade():
    with op.batch_alter_table("letter_digests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_digests_message_id"))
        batch_op.drop_index(batch_op.f("ix_letter_digests_campaign_id"))
    op.drop_table("letter_digests")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index("ix_letters_awaiting_digest")
        batch_op.drop_column("for_digest")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("letter_delivery")
