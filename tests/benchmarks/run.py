"""`make bench`: run every benchmark, write the figures to bench-results/latest.json and their table into
docs/performance.md (between its bench markers; tests/benchmarks/report.py renders it).

Each benchmark module exposes `run() -> dict`. PostgreSQL variants run when BENCH_DATABASE_URL
(or TEST_DATABASE_URL) is set. BENCH_QUICK=1 (what `make bench` sets unless told BENCH_QUICK=0) runs the
benchmarks measured against a floor in the same run, in short rounds at the small scale. A benchmark's `floors`
list is printed at the end, one line per ratio, with how long each module took.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks.report import update_performance_page

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["tests.benchmarks.lookup_bench", "tests.benchmarks.worker_bench"]
QUICK = [
    "tests.benchmarks.lookup_bench",
    "tests.benchmarks.campaigns_bench",
    "tests.benchmarks.worker_bench",
    "tests.benchmarks.dashboards_bench",
    "tests.benchmarks.stakeholders_bench",
    "tests.benchmarks.interactions_bench",
    "tests.benchmarks.search_bench",
    "tests.benchmarks.mixed_load",
    "tests.benchmarks.metrics_bench",
    "tests.benchmarks.languages_bench",
    "tests.benchmarks.mailing_bench",
]
OPTIONAL = [
    "tests.benchmarks.stakeholders_bench",
    "tests.benchmarks.interactions_bench",
    "tests.benchmarks.campaigns_bench",
    "tests.benchmarks.outbox_bench",
    "tests.benchmarks.mailing_bench",
    "tests.benchmarks.dashboards_bench",
    "tests.benchmarks.mixed_load",
    "tests.benchmarks.replies_bench",
    "tests.benchmarks.similarity_bench",
    "tests.benchmarks.search_bench",
    "tests.benchmarks.backup_bench",
    "tests.benchmarks.metrics_bench",
    "tests.benchmarks.languages_bench",
]


def _write(results: dict) -> Path:
    out = ROOT / "bench-results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return out


def _run(module, **kwargs) -> dict:
    """One benchmark; a failure is recorded with its reason, and the others still run."""
    import traceback

    try:
        return module.run(**kwargs)
    except Exception as error:
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}", "target_met": False}


def print_floors(results: dict) -> None:
    """Every ratio measured against its floor in this run, one line each."""
    print("\nagainst their floors (median of rounds, range; load average):")
    for key, result in sorted(results["benchmarks"].items()):
        for floor in (result.get("floors") or ()) if isinstance(result, dict) else ():
            ratio, load = floor["ratio"], floor["load"]
            print(
                f"  {key}: {floor['what']}: {floor['figure']['median']} vs {floor['floor']['median']} "
                f"= {ratio['median']} ({ratio['min']}-{ratio['max']}), target {floor['target']}: "
                f"{'met' if floor['met'] else 'NOT met'}; load {load['median']} ({load['min']}-{load['max']})"
            )


def main() -> int:
    postgres = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "benchmarks": {},
    }
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    previous = ROOT / "bench-results" / "latest.json"
    if only and previous.exists():  # re-measure some modules, keep the others' figures
        results["benchmarks"] = json.loads(previous.read_text()).get("benchmarks", {})
    quick = os.environ.get("BENCH_QUICK") == "1"
    for name in MODULES + OPTIONAL:
        if only and name.rsplit(".", 1)[-1] not in only:
            continue
        if quick and not only and name not in QUICK:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        short = name.rsplit(".", 1)[-1]
        started = time.perf_counter()
        takes_url = "database_url" in inspect.signature(module.run).parameters
        label = "sqlite" if takes_url or not os.environ.get("BENCH_DATABASE_URL") else "postgresql"
        print(f"== {short} ({label})", flush=True)
        results["benchmarks"][f"{short}.{label}"] = _run(module)
        if postgres and takes_url:
            print(f"== {short} (postgresql)", flush=True)
            results["benchmarks"][f"{short}.postgresql"] = _run(module, database_url=postgres)
        took = round(time.perf_counter() - started, 1)
        results.setdefault("seconds", {})[short] = took  # make bench's budget: about 12 minutes in all
        print(f"   done in {took}s", flush=True)
        _write(results)  # after each module, so a long run that is stopped keeps what it measured
    out = _write(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"written to {out}")
    print(f"table written to {update_performance_page(results)}")
    print_floors(results)
    failed = [k for k, v in results["benchmarks"].items() if isinstance(v, dict) and v.get("target_met") is False]
    if failed:
        print(f"targets not met: {failed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
