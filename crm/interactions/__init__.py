"""interactions domain: meetings, calls, posts, participants, follow-ups, stakeholder timelines."""
from crm.interactions import where_it_went  # noqa: E402,F401  (proposal pages list the meetings)
from crm.interactions import privacy  # noqa: E402,F401  (member reports in data export and erasure)
