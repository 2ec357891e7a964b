"""seal TOTP keys at rest: the keys stored in clear are encrypted in place (no schema change)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 09:00:00

The sealing key comes from the running app's MFA_ENCRYPTION_KEY or SECRET_KEY (crm/auth/totp_secrets.py), so run
this with the production settings. Downgrade opens them again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String(64)))


def _rewrite(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None)))
    for user_id, stored in rows.all():
        value = change(user_id, stored)
        if value != stored:
            connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=value))


def upgrade():
    from crm.auth.totp_secrets import is_sealed, seal

    _rewrite(lambda user_id, stored: stored if is_sealed(stored) else seal(user_id, stored))


def downgrade():
    from crm.auth.totp_secrets import unseal

    def opened(user_id, stored):
        secret, _ = unseal(user_id, stored)
        if secret is None:
            raise RuntimeError(f"the TOTP key of user {user_id} does not open with this SECRET_KEY/MFA_ENCRYPTION_KEY")
        return secret

    _rewrite(opened)
