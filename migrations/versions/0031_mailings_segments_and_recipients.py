"""mailings: segments, call-to-action mailings and each recipient's record

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 11:00:00

`segments` are saved member filters; `mailings` are a campaign's call-to-action emails (sandboxed subject and
text, the filters as they were when sent, the outbox batch); `mailing_recipients` records each member once per
mailing (unique), with the outbox message, or why the member was skipped, and when the action link was used.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_segments_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_mailings_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_mailings_segment_id_segments"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["mail_batches.id"], name=op.f("fk_mailings_batch_id_mail_batches"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_mailings_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_mailings_sent_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailings")),
    )
    op.create_index(op.f("ix_mailings_campaign_id"), "mailings", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_mailings_segment_id"), "mailings", ["segment_id"], unique=False)
    op.create_index(op.f("ix_mailings_status"), "mailings", ["status"], unique=False)
    op.create_table(
        "mailing_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("skipped_reason", sa.String(length=300), nullable=True),
        sa.Column("clicked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailing_id"], ["mailings.id"], name=op.f("fk_mailing_recipients_mailing_id_mailings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mailing_recipients_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_mailing_recipients_message_id_outbound_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_recipients")),
        sa.UniqueConstraint("mailing_id", "user_id", name=op.f("uq_mailing_recipients_mailing_id_user_id")),
    )
    op.create_index("ix_mailing_recipients_user", "mailing_recipients", ["user_id"], unique=False)
    op.create_index(op.f("ix_mailing_recipients_message_id"), "mailing_recipients", ["message_id"], unique=False)


def downgrade():
    op.drop_table("mailing_recipients")
    op.drop_index(op.f("ix_mailings_status"), table_name="mailings")
    op.drop_index(op.f("ix_mailings_segment_id"), table_name="mailings")
    op.drop_index(op.f("ix_mailings_campaign_id"), table_name="mailings")
    op.drop_table("mailings")
    op.drop_table("segments")
