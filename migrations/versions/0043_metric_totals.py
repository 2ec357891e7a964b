"""/metrics' whole-table totals kept by the worker (issue 26)

`metric_totals` holds the totals /metrics would otherwise count over whole tables at a scrape (outbox messages by
status, letters by campaign): a worker recounts them about once a minute, and a scrape reads a few dozen rows.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 07:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "metric_totals",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", "label"),
    )


def downgrade():
    op.drop_table("metric_totals")
