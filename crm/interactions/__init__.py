"""interactions domain: meetings, calls, posts, participants, follow-ups, stakeholder timelines."""

from crm.interactions import (
    privacy,  # noqa: F401  (member reports in data export and erasure)
    where_it_went,  # noqa: F401  (proposal pages list the meetings)
)
