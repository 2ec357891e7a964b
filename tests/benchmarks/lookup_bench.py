"""Issue 2's benchmark, with issue 23's floors: /api/v1/lookup, cached and uncached, against /api/v1/ping (a
route that reads nothing), in alternating rounds on one warm gunicorn each (2 workers x 4 threads).

The cached server keeps postal areas per process (LOOKUP_CACHE_SECONDS); the uncached one reads the database
on every request (LOOKUP_CACHE_SECONDS=0). Targets: the lookup at >= 0.5 of its floor, the uncached lookup at
>= 0.7, so the target never rests on the cache alone.

Five rounds of each, not three: a round is a few seconds, and on this shared 2-core machine a round's throughput
can halve while the code stays the same (the floor at 1,023, 2,159 and 1,029 req/s in one server's three rounds,
2026-12-07). With three, two such rounds decide the median; with five, three must.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

from tests.benchmarks.gunicorn_server import gunicorn, prepare_database
from tests.benchmarks.loadgen import hammer
from tests.benchmarks.sql_floor import spread

DATA = Path(__file__).resolve().parents[2] / "crm" / "data"
FLOOR = "/api/v1/ping"


def sample_postal_paths(count: int = 200) -> list[str]:
    """Lookups spread over real FSAs, written the ways people type them."""
    areas = [a["fsa"] for a in json.loads((DATA / "ontario_fsa_to_ed_2021.json").read_text()) if a["eds"]]
    rng = random.Random(7)
    spellings = ["{fsa} 1A1", "{fsa}1A1", "{lower}-1a1"]
    return [
        "/api/v1/lookup?postal_code=" + rng.choice(spellings).format(fsa=fsa, lower=fsa.lower()).replace(" ", "%20")
        for fsa in rng.sample(areas, min(count, len(areas)))
    ]


def alternate(port: int, paths: list[str], *, rounds: int, seconds: float, concurrency: int) -> dict:
    """`rounds` rounds of the floor and of `paths`, alternating (floor first in odd rounds), on a warm server."""
    hammer("127.0.0.1", port, [FLOOR], concurrency=concurrency, seconds=1)
    hammer("127.0.0.1", port, paths, concurrency=concurrency, seconds=1)
    out = []
    for n in range(rounds):
        for kind in ("floor", "route") if n % 2 == 0 else ("route", "floor"):
            load = round(os.getloadavg()[0], 2)
            result = hammer(
                "127.0.0.1", port, [FLOOR] if kind == "floor" else paths, concurrency=concurrency, seconds=seconds
            )
            out.append({"kind": kind, "round": n + 1, "load_average": load, **result})
    floor = [r["throughput_rps"] for r in out if r["kind"] == "floor"]
    route = [r["throughput_rps"] for r in out if r["kind"] == "route"]
    routes = [r for r in out if r["kind"] == "route"]
    return {
        "rounds": out,
        "rps": spread(route),
        "floor_rps": spread(floor),
        "ratio_to_floor": spread([r / f for r, f in zip(route, floor, strict=True) if f]),
        "load_average": spread([r["load_average"] for r in out]),
        "p95_ms": max(r["p95_ms"] for r in routes),
        "clean": all(r["errors"] == 0 and set(r["statuses"]) == {"200"} for r in out),
    }


def run(database_url: str | None = None, seconds: float | None = None, concurrency: int = 8, rounds: int = 5) -> dict:
    seconds = seconds or (3.0 if os.environ.get("BENCH_QUICK") == "1" else 8.0)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        prepare_database(database_url, instance)
        paths = sample_postal_paths()
        with gunicorn(database_url, instance) as port:
            cached = alternate(port, paths, rounds=rounds, seconds=seconds, concurrency=concurrency)
        with gunicorn(database_url, instance, extra_env={"LOOKUP_CACHE_SECONDS": "0"}) as port:
            uncached = alternate(port, paths, rounds=rounds, seconds=seconds, concurrency=concurrency)
    ratio, ratio_uncached = cached["ratio_to_floor"]["median"], uncached["ratio_to_floor"]["median"]
    floors = [
        {
            "what": what,
            "figure": measured["rps"],
            "floor_name": FLOOR,
            "floor": measured["floor_rps"],
            "ratio": measured["ratio_to_floor"],
            "target": f">= {target}",
            "met": measured["ratio_to_floor"]["median"] >= target,
            "load": measured["load_average"],
        }
        for what, measured, target in (
            ("lookup req/s, cached", cached, 0.5),
            ("lookup req/s, uncached", uncached, 0.7),
        )
    ]
    return {
        "floors": floors,
        "database": database_url.split(":")[0],
        "server": "gunicorn, 2 gthread workers x 4 threads, loopback",
        "concurrency": concurrency,
        "round_seconds": seconds,
        "floor": f"GET {FLOOR} on the same server (reads nothing)",
        "lookup": cached,
        "lookup_uncached": uncached,
        "lookup_to_floor_ratio": ratio,
        "lookup_uncached_to_floor_ratio": ratio_uncached,
        "target": "lookup >= 0.5 of its floor; uncached >= 0.7 of its floor (medians of alternating rounds)",
        "target_met": ratio >= 0.5 and ratio_uncached >= 0.7 and cached["clean"] and uncached["clean"],
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
