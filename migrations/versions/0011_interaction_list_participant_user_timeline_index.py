"""interaction list: participants by ITPO user in date order

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 00:30:00

The interaction list filtered by a stakeholder or an ITPO participant walks that party's participant rows in
date order; people and organizations had such an index (for their timelines), users now have one too. It
replaces the plain index on user_id, whose every use it serves.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participants_user_timeline", ["user_id", "occurred_at", "interaction_id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_participants_user_id"))


def downgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participants_user_id"), ["user_id"], unique=False)
        batch_op.drop_index("ix_participants_user_timeline")
