"""Issue 2's benchmark: /api/v1/lookup against the framework's floor (/api/v1/ping), under gunicorn."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from tests.benchmarks.gunicorn_server import gunicorn, prepare_database
from tests.benchmarks.loadgen import hammer

DATA = Path(__file__).resolve().parents[2] / "crm" / "data"


def sample_postal_paths(count: int = 200) -> list[str]:
    """Lookups spread over real FSAs, written the ways people type them."""
    with open(DATA / "canada_legislatures.csv"):  # the data folder is there
        pass
    import json

    areas = [a["fsa"] for a in json.loads((DATA / "ontario_fsa_to_ed_2021.json").read_text()) if a["eds"]]
    rng = random.Random(7)
    spellings = ["{fsa} 1A1", "{fsa}1A1", "{lower}-1a1"]
    return [
        "/api/v1/lookup?postal_code=" + rng.choice(spellings).format(fsa=fsa, lower=fsa.lower()).replace(" ", "%20")
        for fsa in rng.sample(areas, min(count, len(areas)))
    ]


def run(database_url: str | None = None, seconds: float = 8.0, concurrency: int = 8) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        prepare_database(database_url, instance)
        paths = sample_postal_paths()
        with gunicorn(database_url, instance) as port:
            hammer("127.0.0.1", port, ["/api/v1/ping"], concurrency=concurrency, seconds=1)  # warm-up
            floor = hammer("127.0.0.1", port, ["/api/v1/ping"], concurrency=concurrency, seconds=seconds)
            lookup = hammer("127.0.0.1", port, paths, concurrency=concurrency, seconds=seconds)
        # The same route with its per-process cache off: every request reads the database.
        with gunicorn(database_url, instance, extra_env={"LOOKUP_CACHE_SECONDS": "0"}) as port:
            hammer("127.0.0.1", port, ["/api/v1/ping"], concurrency=concurrency, seconds=1)
            floor_uncached = hammer("127.0.0.1", port, ["/api/v1/ping"], concurrency=concurrency, seconds=seconds)
            uncached = hammer("127.0.0.1", port, paths, concurrency=concurrency, seconds=seconds)
    ratio = lookup["throughput_rps"] / floor["throughput_rps"] if floor["throughput_rps"] else 0.0
    ratio_uncached = (
        uncached["throughput_rps"] / floor_uncached["throughput_rps"] if floor_uncached["throughput_rps"] else 0.0
    )
    return {
        "database": database_url.split(":")[0],
        "server": "gunicorn, 2 gthread workers x 4 threads, loopback",
        "concurrency": concurrency,
        "floor_ping": floor,
        "lookup": lookup,
        "lookup_to_floor_ratio": round(ratio, 3),
        "floor_ping_second_server": floor_uncached,
        "lookup_uncached": uncached,
        "lookup_uncached_to_floor_ratio": round(ratio_uncached, 3),
        "target": "lookup throughput >= 50% of floor",
        "target_met": ratio >= 0.5 and lookup["errors"] == 0 and set(lookup["statuses"]) == {"200"},
    }
