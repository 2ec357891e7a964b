"""ops domain: the scheduled jobs' runs, worker heartbeats, /metrics, the admin health page and `crm doctor`."""

from crm.ops import (
    jobs,  # noqa: F401  (runs the due scheduled jobs and beats the heartbeat in every worker pass)
    models,  # noqa: F401  (the tables, for metadata and migrations)
)
