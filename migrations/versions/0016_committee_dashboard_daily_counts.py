"""committee dashboard daily counts: tables of counts per day, and triggers that mark a day dirty on any write

The triggers catch every path that writes interactions or participants (forms, imports, merges' UPDATEs, bulk
loads): PostgreSQL with statement triggers over transition tables (one INSERT … SELECT DISTINCT per statement,
not one per row), SQLite with row triggers. A person changing organization or an organization changing kind
marks every day (1900-01-01), as the counts by kind of stakeholder may change anywhere. Existing data: the
upgrade marks every day, so the first dashboard view counts the whole log once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25 03:24:53.473967

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "activity_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("mppchats", sa.Integer(), nullable=False),
        sa.Column("skillstohelp", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_days")),
    )
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.create_index("ix_activity_days_day", ["day", "kind", "jurisdiction_id"], unique=False)

    op.create_table(
        "activity_dirty_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_activity_dirty_days")),
    )
    op.create_table(
        "stakeholder_kind_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_kind", sa.String(length=30), nullable=True),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder_kind_days")),
    )
    with op.batch_alter_table("stakeholder_kind_days", schema=None) as batch_op:
        batch_op.create_index("ix_stakeholder_kind_days_day", ["day", "organization_kind"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    op.execute("INSERT INTO activity_dirty_days (day) VALUES ('1900-01-01')")


EVERY_DAY = "'1900-01-01'"
DATED = ("interactions", "participants")


def _postgresql_triggers():
    op.execute("""
        CREATE FUNCTION activity_mark_days() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            INSERT INTO activity_dirty_days (day) SELECT DISTINCT occurred_at::date FROM old_rows
              ON CONFLICT DO NOTHING;
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO activity_dirty_days (day) SELECT DISTINCT occurred_at::date FROM new_rows
              ON CONFLICT DO NOTHING;
          END IF;
          RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION activity_mark_every_day() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO activity_dirty_days (day) VALUES ({EVERY_DAY}) ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$""")
    for table in DATED:
        op.execute(
            f"CREATE TRIGGER {table}_activity_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS "
            f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_mark_days()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS "
            f"old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_mark_days()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS "
            f"old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_mark_days()"
        )
    op.execute(
        "CREATE TRIGGER people_activity AFTER UPDATE OF organization_id ON people FOR EACH ROW "
        "WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id) "
        "EXECUTE FUNCTION activity_mark_every_day()"
    )
    op.execute(
        "CREATE TRIGGER organizations_activity AFTER UPDATE OF kind ON organizations FOR EACH ROW "
        "WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION activity_mark_every_day()"
    )


def _sqlite_triggers():
    mark = "INSERT OR IGNORE INTO activity_dirty_days (day) VALUES ({})"
    for table in DATED:
        op.execute(
            f"CREATE TRIGGER {table}_activity_insert AFTER INSERT ON {table} BEGIN "
            f"{mark.format('date(NEW.occurred_at)')}; END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_update AFTER UPDATE ON {table} BEGIN "
            f"{mark.format('date(OLD.occurred_at)')}; {mark.format('date(NEW.occurred_at)')}; END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_delete AFTER DELETE ON {table} BEGIN "
            f"{mark.format('date(OLD.occurred_at)')}; END"
        )
    op.execute(
        f"CREATE TRIGGER people_activity AFTER UPDATE OF organization_id ON people "
        f"WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN {mark.format(EVERY_DAY)}; END"
    )
    op.execute(
        f"CREATE TRIGGER organizations_activity AFTER UPDATE OF kind ON organizations "
        f"WHEN OLD.kind IS NOT NEW.kind BEGIN {mark.format(EVERY_DAY)}; END"
    )


def _drop_triggers():
    names = [f"{table}_activity_{event}" for table in DATED for event in ("insert", "update", "delete")]
    on = {name: name.split("_activity")[0] for name in names}
    on.update({"people_activity": "people", "organizations_activity": "organizations"})
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table in on.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgresql else f"DROP TRIGGER IF EXISTS {name}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS activity_mark_days()")
        op.execute("DROP FUNCTION IF EXISTS activity_mark_every_day()")


def downgrade():
    _drop_triggers()
    with op.batch_alter_table("stakeholder_kind_days", schema=None) as batch_op:
        batch_op.drop_index("ix_stakeholder_kind_days_day")

    op.drop_table("stakeholder_kind_days")
    op.drop_table("activity_dirty_days")
    with op.batch_alter_table("activity_days", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_days_day")

    op.drop_table("activity_days")
