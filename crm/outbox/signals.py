"""Signals the outbox emits, so higher packages (campaigns, members) can react without being imported.

Every signal is sent with the application as sender and keyword arguments; `session` is the
database session of the change, so a receiver may add rows to the same transaction.
"""

from blinker import Namespace

_signals = Namespace()

# A message moved between statuses (not for the worker's own queued -> sending claim).
# kwargs: session, message_id, kind, user_id, old_status, new_status
message_status_changed = _signals.signal("outbox.message-status-changed")

# An address passed the bounce threshold and is now marked failing.
# kwargs: session, address, bounces
address_failing = _signals.signal("outbox.address-failing")

# Someone used a one-click unsubscribe link (no login). kwargs: session, address, user_id or None
address_unsubscribed = _signals.signal("outbox.address-unsubscribed")
