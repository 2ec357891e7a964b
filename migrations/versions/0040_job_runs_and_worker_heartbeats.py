"""scheduled jobs' runs and worker heartbeats; indexes for /metrics

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-05 21:48:12

The workers run the scheduled jobs (issue 26): one row per job and due time, unique, so of several workers only
the one whose insert wins runs it; the row then records how the run ended. Each worker beats a heartbeat row,
which /healthz reads. /metrics counts recent sends and webhook events through two new indexes
(outbound_messages.sent_at, delivery_events.received_at) instead of reading the whole tables.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "due_at", name=op.f("uq_job_runs_job_due_at")),
    )
    op.create_index("ix_job_runs_started_at", "job_runs", ["started_at"], unique=False)
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_seen_at"), "worker_heartbeats", ["seen_at"], unique=False)
    op.create_index(op.f("ix_delivery_events_received_at"), "delivery_events", ["received_at"], unique=False)
    op.create_index("ix_outbound_messages_sent_at", "outbound_messages", ["sent_at"], unique=False)


def downgrade():
    op.drop_index("ix_outbound_messages_sent_at", table_name="outbound_messages")
    op.drop_index(op.f("ix_delivery_events_received_at"), table_name="delivery_events")
    op.drop_index(op.f("ix_worker_heartbeats_seen_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_job_runs_started_at", table_name="job_runs")
    op.drop_table("job_runs")
