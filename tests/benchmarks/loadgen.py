"""A small closed-loop HTTP load generator (keep-alive connections, one thread each)."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from urllib.parse import urlsplit


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def hammer(
    host: str,
    port: int,
    paths: list[str],
    *,
    concurrency: int,
    seconds: float,
    method: str = "GET",
    body_for=None,
    headers_for=None,
    request_for=None,
) -> dict:
    """Send requests for `seconds` from `concurrency` clients; return throughput and latency figures.

    `request_for(worker, i) -> (path, body, headers)`, when given, makes each request instead of `paths`,
    `body_for` and `headers_for`."""
    latencies: list[float] = []
    errors: list[str] = []
    statuses: dict[int, int] = {}
    redirects: dict[str, int] = {}  # where 3xx answers pointed, numbers as <n>: what a redirect meant
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(worker: int):
        conn = http.client.HTTPConnection(host, port, timeout=10)
        i = 0
        mine, my_status, my_redirects = [], {}, {}
        while time.perf_counter() < deadline:
            i += 1
            start = time.perf_counter()
            try:
                if request_for is not None:
                    path, body, headers = request_for(worker, i)
                else:
                    path = paths[(worker + i - 1) % len(paths)]
                    body = body_for(worker, i) if body_for else None
                    headers = headers_for(worker, i) if headers_for else {}
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                my_status[response.status] = my_status.get(response.status, 0) + 1
                if 300 <= response.status < 400:
                    place = re.sub(r"\d+", "<n>", urlsplit(response.getheader("Location", "")).path)
                    my_redirects[place] = my_redirects.get(place, 0) + 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=10)
            except Exception as error:
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, count in my_status.items():
                statuses[status] = statuses.get(status, 0) + count
            for place, count in my_redirects.items():
                redirects[place] = redirects.get(place, 0) + count

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "redirects": dict(sorted(redirects.items())),
        "errors": len(errors),
        "first_errors": errors[:3],
    }
