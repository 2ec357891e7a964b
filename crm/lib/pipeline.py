"""Overlapping a long loop's database work with its Python work, on one connection: one thread makes every
database call, in order, while the caller computes. Why and what it gains: docs/design-notes.md, "lib/pipeline.py"."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor


class DatabaseThread:
    """A thread that runs the calls given to it one after another, each in the caller's context (its app context),
    so a session the caller stops touching can be used there. Leaving the `with` block waits for every call."""

    def __enter__(self) -> DatabaseThread:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-database")
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)

    def submit(self, function, *args) -> Future:
        """Run `function(*args)` after the calls already given; its Future."""
        return self._pool.submit(contextvars.copy_context().run, function, *args)

    def call(self, function, *args):
        """Run `function(*args)` after the calls already given, and wait for its result."""
        return self.submit(function, *args).result()
