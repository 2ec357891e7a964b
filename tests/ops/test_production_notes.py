"""docs/operations.md's systemd units work: their two ExecStart lines, run as written (only the install path and the
port changed), take a member's letter through gunicorn and the worker to the fake SendGrid, and the worker's
heartbeat and the scrape show it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from tests.benchmarks.gunicorn_server import free_port, prepare_database
from tests.benchmarks.mixed_load import _cookie_and_token
from tests.outbox.fake_sendgrid import API_KEY, FakeSendGrid

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = "/srv/itpo-crm/.venv/bin/"
TOKEN = "notes-metrics-token"


def exec_starts() -> dict[str, list[str]]:
    """The ExecStart command of each unit in docs/operations.md, by unit (web, worker)."""
    text = (ROOT / "docs" / "operations.md").read_text()
    found = {}
    for command in re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE):
        if command.startswith(INSTALLED + "gunicorn"):
            found["web"] = shlex.split(command)
        elif command.endswith("crm worker"):
            found["worker"] = shlex.split(command)
    return found


def _here(argv: list[str], port: int) -> list[str]:
    bin_dir = str(Path(sys.executable).parent) + "/"
    return [arg.replace(INSTALLED, bin_dir).replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _letters(sendgrid) -> list[dict]:
    """What reached the fake SendGrid addressed to an MPP's office (the member may get mail of their own too)."""
    return [body for body in list(sendgrid.received) if "ola.org" in str(body["personalizations"][0]["to"])]


def test_the_documented_units_send_a_letter_through_gunicorn_and_the_worker(tmp_path):
    from crm import create_app
    from crm.extensions import db
    from tests.benchmarks.campaigns_bench import STORY, _populate

    units = exec_starts()
    assert set(units) == {"web", "worker"}, units
    database_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    prepare_database(database_url, tmp_path)
    sendgrid = FakeSendGrid().start()
    env = dict(
        os.environ,
        CRM_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY="notes-secret-key",
        CRM_INSTANCE_PATH=str(tmp_path),
        MAIL_BACKEND="sendgrid",
        SENDGRID_API_KEY=API_KEY,
        SENDGRID_HOST=sendgrid.host,
        SESSION_COOKIE_SECURE="false",  # plain HTTP on loopback; the TLS proxy is not part of the test
        REPRESENT_API_URL="",
        METRICS_TOKEN=TOKEN,
        PUBLIC_BASE_URL="http://127.0.0.1",
    )
    env.pop("MAIL_WORKER_THREAD", None)
    app = create_app(
        {"CRM_ENV": "development", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": tmp_path}
        | {"SECRET_KEY": "notes-secret-key", "MAIL_WORKER_THREAD": False}
    )
    with app.app_context():
        data = _populate(db.session, members=1, campaigns=1)
        db.session.commit()
        db.session.remove()
    (user_id, district), slug, template_id = data["members"][0], data["slugs"][0], data["template_ids"][0]
    cookie, token = _cookie_and_token(app, user_id)
    port = free_port()
    web = subprocess.Popen(_here(units["web"], port), cwd=ROOT, env=env, stderr=subprocess.PIPE)
    worker = subprocess.Popen(_here(units["worker"], port), cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        form = {
            "csrf_token": token,
            "recipient": f"district-{district}",
            "template_id": str(template_id),
            "block-3": STORY,
            "send": "Send",
        }
        request = urllib.request.Request(
            f"{base}/campaigns/{slug}/write",
            data=urlencode(form).encode(),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            status = urllib.request.build_opener(NoRedirect).open(request, timeout=10).status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 302, status
        deadline = time.monotonic() + 60
        while not _letters(sendgrid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_letters(sendgrid)) == 1, "the worker did not send the letter to the fake SendGrid"
        assert STORY[:40] in str(_letters(sendgrid)[0]["content"])
        health = _get(f"{base}/healthz")
        assert health[0] == 200 and '"ok":true' in health[1].replace(" ", "") and "no_worker" not in health[1]
        assert _get(f"{base}/metrics")[0] == 401
        status, scrape = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
        sent = re.search(r"^crm_outbox_sent_last_minute (\S+)$", scrape, re.MULTILINE)
        assert status == 200 and sent and float(sent.group(1)) >= 1
        totals = re.search(r"^crm_metrics_totals_age_seconds (\S+)$", scrape, re.MULTILINE)
        assert totals and 0 <= float(totals.group(1)) < 120  # the worker keeps the whole-table totals
    finally:
        for process in (worker, web):
            process.terminate()
        for process in (worker, web):
            _, stderr = process.communicate(timeout=60)
            assert b"Traceback" not in stderr, stderr.decode()[-3000:]
        sendgrid.stop()
