"""campaigns domain: campaigns, letter templates, the member letter flow."""
from crm.campaigns import notifications  # noqa: E402,F401  (connects the outbox signal receiver)
