"""Give the heap memory Python has freed back to the system, where the C library can (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes
from functools import cache


@cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; other C libraries have no such call
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Return the free pages at the top and in the middle of the heap to the system: after a burst (a mailing's
    queueing), so the next burst, on other threads and in another malloc arena, does not stack on its remains."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
