"""member profiles: the campaign a member joined through

Nullable, so existing members simply have none (they joined before it was recorded); no backfill,
because nothing recorded says which campaign page someone came from.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 23:25:38.625815

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_via_campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_member_profiles_joined_via_campaign_id"), ["joined_via_campaign_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_member_profiles_joined_via_campaign_id_campaigns"),
            "campaigns",
            ["joined_via_campaign_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_member_profiles_joined_via_campaign_id_campaigns"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_member_profiles_joined_via_campaign_id"))
        batch_op.drop_column("joined_via_campaign_id")
