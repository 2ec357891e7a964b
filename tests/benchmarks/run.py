"""`make bench`: run every benchmark and write the figures to bench-results/latest.json.

Each benchmark module exposes `run() -> dict`. PostgreSQL variants run when BENCH_DATABASE_URL
(or TEST_DATABASE_URL) is set.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["tests.benchmarks.lookup_bench"]
OPTIONAL = ["tests.benchmarks.stakeholders_bench", "tests.benchmarks.interactions_bench",
            "tests.benchmarks.campaigns_bench", "tests.benchmarks.outbox_bench", "tests.benchmarks.dashboards_bench"]


def main() -> int:
    postgres = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    results: dict = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "platform": platform.platform()},
                     "benchmarks": {}}
    for name in MODULES + OPTIONAL:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        short = name.rsplit(".", 1)[-1]
        started = time.perf_counter()
        print(f"== {short} (SQLite)", flush=True)
        results["benchmarks"][f"{short}.sqlite"] = module.run()
        if postgres and "database_url" in inspect.signature(module.run).parameters:
            print(f"== {short} (PostgreSQL)", flush=True)
            results["benchmarks"][f"{short}.postgresql"] = module.run(database_url=postgres)
        print(f"   done in {time.perf_counter() - started:.1f}s", flush=True)
    out = ROOT / "bench-results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written to {out}")
    failed = [k for k, v in results["benchmarks"].items() if isinstance(v, dict) and v.get("target_met") is False]
    if failed:
        print(f"targets not met: {failed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
