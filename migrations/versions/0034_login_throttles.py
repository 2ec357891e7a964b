"""login throttles: failed logins per typed address

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05 09:30:00

One row per lower-cased address that failed to log in (an account's or not, so an unknown address is slowed the
same way), shared by every process: after a few failures each next attempt waits twice as long, up to a cap.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("warned_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("email", name=op.f("uq_login_throttles_email")),
    )


def downgrade():
    op.drop_table("login_throttles")
