"""representatives from Represent: where a seat's details came from, and Represent's cached answers (issue 27)

elected_offices gains source ("represent", "demo"; NULL for the shipped roster and hand entry), source_url,
photo_url, offices_json (Represent's offices, JSON) and fetched_at. represent_answers caches the API's answers by
path (a postal code's answer, 30 days) so a repeat costs no request and an outage falls back to what was found.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("elected_offices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("source_url", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("photo_url", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("offices_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fetched_at", sa.DateTime(), nullable=True))
    op.create_table(
        "represent_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_represent_answers")),
        sa.UniqueConstraint("path", name=op.f("uq_represent_answers_path")),
    )


def downgrade():
    op.drop_table("represent_answers")
    with op.batch_alter_table("elected_offices", schema=None) as batch_op:
        batch_op.drop_column("fetched_at")
        batch_op.drop_column("offices_json")
        batch_op.drop_column("photo_url")
        batch_op.drop_column("source")
        batch_op.drop_column("source_url")
