"""Signals the members package emits, so higher packages (campaigns) can react without being imported.

Sent with the application as sender and keyword arguments; `session` is the session of the change, so
a receiver may change rows in the same transaction (the view commits once).
"""

from blinker import Namespace

_signals = Namespace()

# A member joined. kwargs: session, user, profile, campaign (the campaign the join link named:
# unchecked text
# or None), next_url (where the member goes after confirming, already checked to be on this site, or
# None),
# pending (the token of a letter they wrote before joining, unchecked, or None). A receiver may
# return a
# sentence for the confirmation email.
member_joined = _signals.signal("members.member-joined")
