"""letter flow: letters written before logging in wait; template failures are counted; constituent signatures

Revision ID: 0030
Revises: 0023
Create Date: 2026-12-05 10:00:00

`pending_letters` holds a letter a visitor wrote before joining or logging in (deleted after 7 days);
`template_failures` counts a template version that failed to render for some member's values, for the lead;
`letters.signature` keeps the constituent signature apart from the body; `member_profiles` gains the optional
street address and phone that only the signature uses.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sa.String(length=40), nullable=False),
        sa.Column("edits", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_pending_letters_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["letter_templates.id"],
            name=op.f("fk_pending_letters_template_id_letter_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_letters_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_letters")),
        sa.UniqueConstraint("token", name=op.f("uq_pending_letters_token")),
    )
    with op.batch_alter_table("pending_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_letters_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_letters_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_letters_created_at"), ["created_at"], unique=False)
    op.create_table(
        "template_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("sample_values", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("last_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_template_failures_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["letter_templates.id"],
            name=op.f("fk_template_failures_template_id_letter_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_failures")),
        sa.UniqueConstraint(
            "template_id", "position", "message", name=op.f("uq_template_failures_template_id_position_message")
        ),
    )
    with op.batch_alter_table("template_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_template_failures_campaign_id"), ["campaign_id"], unique=False)
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.Text(), nullable=True))
    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street_address", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("street_address")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("signature")
    op.drop_table("template_failures")
    op.drop_table("pending_letters")
