"""campaigns domain: campaigns, letter templates, the member letter flow."""

from crm.campaigns import (
    citations,  # noqa: F401  (proposal pages list the campaigns citing them)
    digest,  # noqa: F401  (the outbox worker builds the daily digests)
    notifications,  # noqa: F401  (connects the outbox signal receiver)
    privacy,  # noqa: F401  (letters in data export and erasure)
    sharing,  # noqa: F401  (records sign-ups through a member's referral link)
    sign_ups,  # noqa: F401  (records the campaign a member joined through)
    similarity,  # noqa: F401  (its tables, and letters' signatures in erasure)
    timeline,  # noqa: F401  (letters on stakeholder timelines)
)
