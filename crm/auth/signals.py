"""Signals the auth package emits, so higher packages can react without being imported.

Sent with the application as sender and keyword arguments; `session` is the session of the change.
"""

from blinker import Namespace

_signals = Namespace()

# A person opened their confirmation link. kwargs: session, user. A receiver may return a dict with
# "message" (a sentence to show them) and "next" (where to take them): e.g. the letter it just sent.
email_confirmed = _signals.signal("auth.email-confirmed")
