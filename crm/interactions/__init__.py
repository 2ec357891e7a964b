"""interactions domain: meetings, calls, posts, participants, follow-ups, stakeholder timelines."""
from crm.interactions import where_it_went  # noqa: E402,F401  (proposal pages list the meetings)
