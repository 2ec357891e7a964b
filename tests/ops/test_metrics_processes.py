"""/metrics with PROMETHEUS_MULTIPROC_DIR: request latency counted across every web process, as gunicorn runs
several (each process writes its own files; a scrape by any of them sums them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# One web process: answers /healthz N times; with "scrape", prints its /metrics page afterwards.
PROCESS = """
import sys
from flask_migrate import upgrade
from crm import create_app
database, instance, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"CRM_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database, "INSTANCE_PATH": instance,
                  "METRICS_TOKEN": "multiprocess-token"})
with app.app_context():
    upgrade()
client = app.test_client()
for _ in range(requests):
    assert client.get("/healthz").status_code in (200, 503)
if sys.argv[4:] == ["scrape"]:
    page = client.get("/metrics", headers={"Authorization": "Bearer multiprocess-token"})
    assert page.status_code == 200, page.status_code
    sys.stdout.write(page.get_data(as_text=True))
"""


def _process(tmp_path: Path, requests: int, *extra: str) -> str:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"))
    database = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, database, str(tmp_path), str(requests), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_request_latency_sums_every_web_process_with_a_multiprocess_directory(tmp_path):
    (tmp_path / "prometheus").mkdir()
    _process(tmp_path, 5)
    _process(tmp_path, 7)
    page = _process(tmp_path, 0, "scrape")  # a third process, which answered no /healthz itself
    families = {family.name: family for family in text_string_to_metric_families(page)}
    counts = [
        sample.value
        for sample in families["crm_http_request_duration_seconds"].samples
        if sample.name.endswith("_count") and sample.labels.get("endpoint") == "ops.healthz"
    ]
    assert counts == [12.0]
    assert "crm_outbox_messages" in families  # the database's figures are on the same page
