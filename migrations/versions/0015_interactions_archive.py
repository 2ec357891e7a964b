"""interactions: archive (logged by mistake, a duplicate): out of lists, timelines and dashboards, page and history kept

Existing interactions are not archived (the server default); the index serves the NOT IN over the archived few.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 03:09:42.918950

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_interactions_archived", ["archived", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_archived")
        batch_op.drop_column("archived")
