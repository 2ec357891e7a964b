"""The Represent API client (represent.opennorth.ca): at most 60 requests a minute, short timeouts, answers cached.

Every failure becomes `RepresentUnavailable` with a reason the member or operator can be told; a 404 is an
answer (None), not a failure. The default configuration sets no URL, so nothing here reaches the network.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.extensions import take_shared_request
from crm.legislatures.models import RepresentAnswer

# The same limit and key as crm/campaigns/represent.py: both count against Represent's allowance.
RATE = "60/minute"  # Represent asks for at most 60 requests a minute
RATE_KEY = "represent-api"
TIMEOUT_SECONDS = 5
MAX_BYTES = 5_000_000
CACHE_DAYS = 30
REASONS = {
    "not_configured": "the Represent API is not configured",
    "rate_limited": "Represent's limit of 60 requests a minute was reached",
    "timeout": "Represent did not answer in time",
    "error": "Represent answered with an error",
    "malformed": "Represent's answer was not the JSON expected",
    "network": "Represent could not be reached",
}


class RepresentUnavailable(Exception):
    """Represent cannot answer now; `reason` is one of REASONS and `detail` says more (e.g. "HTTP 500")."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{REASONS[reason]}{f' ({detail})' if detail else ''}")
        self.reason, self.detail = reason, detail


def configured() -> bool:
    return bool(current_app.config.get("REPRESENT_API_URL"))


def _take_a_request(wait: bool) -> None:
    """Count one request against the limit; a command waits for the next window, a page does not."""
    while (reset_at := take_shared_request(RATE, RATE_KEY)) is not None:
        if not wait:
            raise RepresentUnavailable("rate_limited")
        time.sleep(min(60.0, max(0.5, reset_at - time.time())))


def get(path: str, *, wait: bool = False) -> dict | None:
    """GET a path ("/postcodes/B3H4R2/") as JSON; None for a 404. Raises RepresentUnavailable."""
    if not configured():
        raise RepresentUnavailable("not_configured")
    _take_a_request(wait)
    base = current_app.config["REPRESENT_API_URL"].rstrip("/")
    request = urllib.request.Request(
        base + path, headers={"Accept": "application/json", "User-Agent": "itpo-crm (+represent client)"}
    )
    timeout = current_app.config.get("REPRESENT_TIMEOUT", TIMEOUT_SECONDS)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_BYTES)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise RepresentUnavailable("rate_limited" if error.code == 429 else "error", f"HTTP {error.code}") from None
    except TimeoutError:
        raise RepresentUnavailable("timeout") from None
    except (urllib.error.URLError, OSError) as error:
        reason = "timeout" if "timed out" in str(error) else "network"
        raise RepresentUnavailable(reason, type(error).__name__) from None
    return _parse(raw)


def _parse(raw: bytes) -> dict:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise RepresentUnavailable("malformed", "not JSON") from None
    if not isinstance(payload, dict):
        raise RepresentUnavailable("malformed", "not a JSON object")
    return payload


def cached_get(session: Session, path: str, *, now: datetime | None = None) -> dict | None:
    """An answer from the cache when fresh (30 days), else from Represent (and cached); when Represent cannot
    answer, an older cached answer if there is one, else RepresentUnavailable. Flushes; the caller commits."""
    now = now or datetime.utcnow()
    cached = session.scalar(select(RepresentAnswer).where(RepresentAnswer.path == path))
    if cached is not None and cached.fetched_at > now - timedelta(days=CACHE_DAYS):
        return json.loads(cached.body)
    try:
        payload = get(path)
    except RepresentUnavailable:
        if cached is not None:
            current_app.logger.warning("Represent unavailable; using the answer cached on %s", cached.fetched_at)
            return json.loads(cached.body)
        raise
    body = json.dumps(payload, ensure_ascii=False)
    if cached is None:
        session.add(RepresentAnswer(path=path, body=body, fetched_at=now))
    else:
        cached.body, cached.fetched_at = body, now
    session.flush()
    return payload


def pages(path: str, *, limit: int = 1000, max_pages: int = 50) -> list[dict]:
    """Every object of a paged collection ("/representatives/nova-scotia-legislature/"), following meta.next; a
    command waits for the rate limit rather than fail. Raises RepresentUnavailable (nothing partial is returned)."""
    objects: list[dict] = []
    next_path: str | None = f"{path}?limit={limit}"
    for _ in range(max_pages):
        if not next_path:
            return objects
        payload = get(next_path, wait=True)
        if payload is None:
            raise RepresentUnavailable("error", f"{path} not found")
        found = payload.get("objects")
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            raise RepresentUnavailable("malformed", "no list of objects")
        objects.extend(found)
        next_path = (payload.get("meta") or {}).get("next") or None
        if next_path and not str(next_path).startswith("/"):
            raise RepresentUnavailable("malformed", "meta.next is not a path on Represent")
    raise RepresentUnavailable("malformed", f"more than {max_pages} pages")
