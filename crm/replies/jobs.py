"""The surveys as a periodic job of the outbox worker (its passes come every few seconds; this runs hourly)."""

import logging
import time

from crm.replies.services import queue_due_surveys

log = logging.getLogger(__name__)
EVERY_SECONDS = 3600  # a letter becomes due at most an hour late; the query is indexed, but needs no more often
_last_run = {"at": float("-inf")}


def queue_surveys_now_and_then(session, now) -> None:
    """Queue the due surveys if this process has not in the last EVERY_SECONDS (the caller commits)."""
    if time.monotonic() - _last_run["at"] < EVERY_SECONDS:
        return
    _last_run["at"] = time.monotonic()
    count = queue_due_surveys(session, now)
    if count:
        log.info("replies: queued %d reply survey(s)", count)
