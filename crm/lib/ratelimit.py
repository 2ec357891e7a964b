"""A rate-limit storage for one process that starts no thread: `RATELIMIT_STORAGE_URI=counter://`.
Fixed-window counters in a dict under one lock, for development and tests; production uses Redis.
Why: docs/design-notes.md, "lib/ratelimit.py"."""

from __future__ import annotations

import threading
import time

from limits.storage import Storage

SWEEP_EVERY = 1024  # counts between sweeps of expired keys, so an idle key costs nothing per hit


class CounterStorage(Storage):
    """Fixed-window counters (Flask-Limiter's default strategy) in this process: key → (count, expires at)."""

    STORAGE_SCHEME = ["counter"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._counts: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._until_sweep = SWEEP_EVERY

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _live(self, key: str, now: float) -> list[float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= now:
            del self._counts[key]
            return None
        return entry

    def _sweep(self, now: float) -> None:
        for key in [key for key, (_, until) in self._counts.items() if until <= now]:
            del self._counts[key]
        self._until_sweep = SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            self._until_sweep -= 1
            if self._until_sweep <= 0:
                self._sweep(now)
            entry = self._live(key, now)
            if entry is None:
                entry = self._counts[key] = [0, now + expiry]
            entry[0] += amount
            return int(entry[0])

    def decr(self, key: str, amount: int = 1) -> int:
        with self._lock:
            entry = self._live(key, time.time())
            if entry is None:
                return 0
            entry[0] = max(entry[0] - amount, 0)
            return int(entry[0])

    def get(self, key: str) -> int:
        with self._lock:
            entry = self._live(key, time.time())
            return int(entry[0]) if entry else 0

    def get_expiry(self, key: str) -> float:
        with self._lock:
            entry = self._live(key, time.time())
            return entry[1] if entry else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
