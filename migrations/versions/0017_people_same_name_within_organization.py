"""people: an index on (organization, lowercased name), so the list's probable-duplicates check (the same name
within one organization) looks each listed person up instead of reading everyone in their organization

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 04:02:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_people_organization_lower_name", "people", ["organization_id", sa.text("lower(full_name)")])


def downgrade():
    op.drop_index("ix_people_organization_lower_name", table_name="people")
