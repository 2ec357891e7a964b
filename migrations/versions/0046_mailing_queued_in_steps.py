"""a mailing is queued a step at a time, each step committed (issue 23)

`queued_through` is the highest member id queued so far while a mailing is being queued (NULL once it is done, and
for every mailing before this revision); `french_batch_id` is its French batch, so a step after a crash or in
another worker writes into the batches the first steps made.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07 04:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mailings") as batch:
        batch.add_column(sa.Column("queued_through", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("french_batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_mailings_french_batch_id_mail_batches", "mail_batches", ["french_batch_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("mailings") as batch:
        batch.drop_constraint("fk_mailings_french_batch_id_mail_batches", type_="foreignkey")
        batch.drop_column("french_batch_id")
        batch.drop_column("queued_through")
