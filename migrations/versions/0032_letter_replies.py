"""did they reply? letter_replies (one survey per letter) and an index on when letters were delivered

`letter_replies` holds each letter's "did the office reply?" survey and the member's answer, with the campaign,
official, riding and party copied from the letter so that the responsiveness panel reads one covering index
(`ix_letter_replies_answered`, answered rows only) instead of the campaign's letters. `letter_id` is unique: a
letter is asked once, however many workers run the job at once.

`ix_delivery_events_delivered_at` indexes the delivered events by coalesce(occurred_at, received_at), the time a
letter arrived, which is what the survey job looks for (letters delivered 14 to 28 days ago).

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-26 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

ANSWERED = sa.text("answer IS NOT NULL")
DELIVERED = sa.text("event = 'delivered'")


def upgrade():
    op.create_table(
        "letter_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("party", sa.String(length=80), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("tone", sa.String(length=12), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("stance_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letter_replies_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["electoral_districts.id"],
            name=op.f("fk_letter_replies_district_id_electoral_districts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_replies_letter_id_letters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_letter_replies_message_id_outbound_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_letter_replies_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["stance_id"], ["stances.id"], name=op.f("fk_letter_replies_stance_id_stances"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_letter_replies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_replies")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_letter_replies_letter_id")),
    )
    with op.batch_alter_table("letter_replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_letter_replies_answered",
            ["campaign_id", "person_id", "district_id", "party", "answer"],
            unique=False,
            postgresql_where=ANSWERED,
            sqlite_where=ANSWERED,
        )
        batch_op.create_index("ix_letter_replies_person_answered", ["person_id", "answered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_replies_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_replies_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_replies_message_id"), ["message_id"], unique=False)
    op.create_index(
        "ix_delivery_events_delivered_at",
        "delivery_events",
        [sa.text("coalesce(occurred_at, received_at)")],
        unique=False,
        postgresql_where=DELIVERED,
        sqlite_where=DELIVERED,
    )


def downgrade():
    op.drop_index("ix_delivery_events_delivered_at", table_name="delivery_events")
    op.drop_table("letter_replies")
