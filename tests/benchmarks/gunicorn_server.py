"""Start the app under gunicorn on loopback against a prepared database, for benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(database_url: str, instance: Path) -> None:
    """Migrate and seed the database the server will use (fresh schema on PostgreSQL)."""
    env = _env(database_url, instance)
    if database_url.startswith("postgres"):
        from tests.conftest import reset_postgres

        reset_postgres(database_url)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "crm", "seed"], cwd=ROOT, env=env, check=True, capture_output=True)


def _env(database_url: str, instance: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "CRM_ENV": "development",
            "DATABASE_URL": database_url,
            "CRM_INSTANCE_PATH": str(instance),
            "MAIL_WORKER_THREAD": "false",
            "MAIL_BACKEND": "file",
            "SECRET_KEY": "bench-secret-key",
            "LOGIN_RATE_LIMIT": "100000 per second",
            "JOIN_RATE_LIMIT": "100000 per second",
        }
    )
    return env


@contextmanager
def gunicorn(
    database_url: str,
    instance: Path,
    workers: int = 2,
    threads: int = 4,
    extra_env: dict | None = None,
    app_module: str = "wsgi:app",
):
    port = free_port()
    env = {**_env(database_url, instance), **(extra_env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app_module,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
