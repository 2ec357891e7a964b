"""letter similarity: each sent letter's MinHash signature and band, and its LSH band hashes (issue 21, item 4)

The band table's primary key (campaign, band, hash, letter) is the index a new letter's bands are looked up in
(crm/campaigns/similarity.py); a second index on letter_id serves deletes. Letters sent before this migration
have no signature: they are neither compared nor counted.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letter_signatures",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("closest_letter_id", sa.Integer(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_letter_signatures_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["closest_letter_id"],
            ["letters.id"],
            name=op.f("fk_letter_signatures_closest_letter_id_letters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_signatures_letter_id_letters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_letter_signatures")),
    )
    with op.batch_alter_table("letter_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_letter_signatures_campaign_band", ["campaign_id", "band"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_signatures_closest_letter_id"), ["closest_letter_id"], unique=False)

    op.create_table(
        "letter_similarity_bands",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("band_no", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("band_hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("letter_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letter_signatures.letter_id"],
            name=op.f("fk_letter_similarity_bands_letter_id_letter_signatures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "band_no", "band_hash", "letter_id", name=op.f("pk_letter_similarity_bands")
        ),
    )
    with op.batch_alter_table("letter_similarity_bands", schema=None) as batch_op:
        batch_op.create_index("ix_letter_similarity_bands_letter_id", ["letter_id"], unique=False)


def downgrade():
    with op.batch_alter_table("letter_similarity_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_similarity_bands_letter_id")

    op.drop_table("letter_similarity_bands")
    with op.batch_alter_table("letter_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_signatures_closest_letter_id"))
        batch_op.drop_index("ix_letter_signatures_campaign_band")

    op.drop_table("letter_signatures")
