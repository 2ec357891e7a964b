"""replies domain: "did they reply?" surveys 14 days after a letter is delivered, and what members answer."""

from crm.replies import (
    jobs,  # noqa: F401  (the hourly survey job, in the scheduled jobs' registry)
    models,  # noqa: F401  (the tables, for metadata and migrations)
    privacy,  # noqa: F401  (answers in data export and erasure)
    timeline,  # noqa: F401  (reported replies on the official's timeline)
)
