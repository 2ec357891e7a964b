"""call-to-action mailings in French too (issue 25): an optional French subject and text

`mailings.subject_fr` and `mailings.body_fr` (both NULL, or both set) hold a mailing's French version; members whose
language is French get it, everyone else (and everyone, when there is none) the English. Plain ADD COLUMN on both
databases, nullable, no batch rebuild (it would drop the triggers of 0021 and later).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 03:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("mailings", sa.Column("subject_fr", sa.String(length=300), nullable=True))
    op.add_column("mailings", sa.Column("body_fr", sa.Text(), nullable=True))


def downgrade():
    # SQLite 3.35+ drops a plain column in place (no rebuild, so triggers stay); PostgreSQL always could.
    op.drop_column("mailings", "body_fr")
    op.drop_column("mailings", "subject_fr")
