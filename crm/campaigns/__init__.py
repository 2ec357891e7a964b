"""campaigns domain: campaigns, letter templates, the member letter flow."""
from crm.campaigns import notifications  # noqa: E402,F401  (connects the outbox signal receiver)
from crm.campaigns import timeline  # noqa: E402,F401  (letters on stakeholder timelines)
from crm.campaigns import citations  # noqa: E402,F401  (proposal pages list the campaigns citing them)
from crm.campaigns import privacy  # noqa: E402,F401  (letters in data export and erasure)
from crm.campaigns import sign_ups  # noqa: E402,F401  (records the campaign a member joined through)
from crm.campaigns import similarity  # noqa: E402,F401  (its tables, and letters' signatures in erasure)
