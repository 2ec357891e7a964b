"""interactions domain: meetings, calls, posts, participants, follow-ups, stakeholder timelines."""
