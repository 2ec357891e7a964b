"""stakeholders domain."""
