"""sharing: each member's referral code, and the sign-ups that came through one (issue 21, item 5)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05 12:27:10

A member shares a campaign's public link with ?ref=CODE. The code is random (not derived from the member's id,
so the link tells nothing of who they are), made when they first open the share page. A visitor who arrives
with a known code and joins while the campaign is live is recorded once, so the dashboard counts referrals.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "referral_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_referral_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_codes_code")),
    )
    op.create_table(
        "campaign_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_referrals_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["users.id"], name=op.f("fk_campaign_referrals_referrer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_campaign_referrals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_referrals")),
        sa.UniqueConstraint("user_id", name=op.f("uq_campaign_referrals_user_id")),
    )
    with op.batch_alter_table("campaign_referrals", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_referrals_campaign_created", ["campaign_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_referrals_referrer_id"), ["referrer_id"], unique=False)


def downgrade():
    with op.batch_alter_table("campaign_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_referrals_referrer_id"))
        batch_op.drop_index("ix_campaign_referrals_campaign_created")

    op.drop_table("campaign_referrals")
    op.drop_table("referral_codes")
