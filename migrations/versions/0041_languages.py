"""English and French (issue 25): a member's language, a template's and a letter's, an office that prefers French

`users.language` is the member's choice of the EN | FR switch ("en" or "fr"; NULL until they choose: pages follow
the browser, emails are English). `letter_templates.language` lets a campaign have an English and a French template;
`letters.language` records which one each letter was written in, for the lead. `elected_offices.prefers_french`
sends French letters by default to an office that prefers them, from members who write in French.

Plain ADD COLUMN on both databases (nullable or with a server default), not a batch rebuild: SQLite's batch mode
recreates a table and would drop the triggers some of these tables carry (0021 and later).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-05 22:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("language", sa.String(length=5), nullable=True))
    op.add_column("letter_templates", sa.Column("language", sa.String(length=2), server_default="en", nullable=False))
    op.add_column("letters", sa.Column("language", sa.String(length=2), server_default="en", nullable=False))
    op.add_column(
        "elected_offices", sa.Column("prefers_french", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    # SQLite 3.35+ drops a plain column in place (no rebuild, so triggers stay); PostgreSQL always could.
    op.drop_column("elected_offices", "prefers_french")
    op.drop_column("letters", "language")
    op.drop_column("letter_templates", "language")
    op.drop_column("users", "language")
