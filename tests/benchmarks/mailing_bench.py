"""The 100,000-member call-to-action mailing alone (issue 23, item 4: under 15 s, the worker under 100 MB), from
the lead's click to the fake SendGrid holding every member's message once; see outbox_bench.run_mailing. It takes a
minute or less a database on a quiet machine; `make bench` runs it (BENCH_ONLY=mailing_bench alone)."""

from __future__ import annotations

import json

from tests.benchmarks.outbox_bench import run_mailing


def run(database_url: str | None = None) -> dict:
    return run_mailing(database_url)


if __name__ == "__main__":
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
