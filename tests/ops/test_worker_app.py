"""The worker's own app (`flask --app worker crm worker`, issue 23): it runs every job and signal receiver the web
app has and builds the same mail links, without importing a view, the rate limiter or Redis."""

from __future__ import annotations

import json
import subprocess
import sys

from crm import ROOT
from crm.lib.url_rules import REGENERATE, RULES_FILE, url_rules


def registries() -> dict:
    """What this process has registered: scheduled and pass jobs, signal receivers, timeline and member-data
    sources, template filters, by name (run in the test process, with the web app, and in the worker's)."""
    from crm.auth import signals as auth_signals
    from crm.extensions import login_manager
    from crm.interactions import timeline as interaction_timeline
    from crm.lib.schedule import registered_jobs
    from crm.members import privacy
    from crm.members import signals as member_signals
    from crm.outbox import signals as outbox_signals
    from crm.outbox.worker import _pass_jobs
    from crm.proposals.services import where_it_went
    from crm.stakeholders import timeline as directory_timeline

    def name(function) -> str:
        return f"{function.__module__}.{function.__qualname__}"

    signals = [
        where_it_went,
        *(
            value
            for module in (auth_signals, member_signals, outbox_signals)
            for value in vars(module).values()
            if type(value).__name__ == "NamedSignal"
        ),
    ]
    return {
        "jobs": {job.name: name(job.run) for job in registered_jobs()},
        "pass jobs": sorted(name(job) for job, _ in _pass_jobs),
        "receivers": {signal.name: sorted(name(r) for r in signal.receivers_for(signal.ANY)) for signal in signals},
        "timeline sources": sorted(interaction_timeline._SOURCES),
        "directory timeline": sorted(name(provider) for provider in directory_timeline._providers),
        "member data": sorted(privacy._SOURCES),
        "user loader": name(login_manager._user_callback) if login_manager._user_callback else None,
    }


LINKS = [
    ("outbox.unsubscribe", {"token": "t0ken"}),
    ("replies.survey", {"token": "t0ken"}),
    ("interactions.detail", {"interaction_id": 7}),
    ("interactions.my_follow_ups", {}),
    ("programs.event", {"event_id": 3}),
    ("campaigns.show", {"slug": "pra-now"}),
    ("auth.reset_password", {"token": "t0ken"}),
]

_WORKER_APP = """
import json, sys
from crm import create_worker_app
from crm.outbox.bulk import external_url
from tests.ops.test_worker_app import LINKS, registries
app = create_worker_app({"CRM_ENV": "testing", "INSTANCE_PATH": sys.argv[1], **json.loads(sys.argv[2])})
with app.app_context():
    links = [external_url(endpoint, **values) for endpoint, values in LINKS]
    filters = sorted(app.jinja_env.filters)
print(json.dumps({"registries": registries(), "links": links, "filters": filters, "modules": sorted(sys.modules)}))
"""


def _worker_app(tmp_path, app=None) -> dict:
    """The worker app built in a process of its own (imports are per process), with the web app's link settings."""
    names = ("SERVER_NAME", "PUBLIC_BASE_URL", "PREFERRED_URL_SCHEME") if app else ()
    same = {name: app.config[name] for name in names}
    started = subprocess.run(
        [sys.executable, "-c", _WORKER_APP, str(tmp_path), json.dumps(same)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr[-3000:]
    return json.loads(started.stdout.splitlines()[-1])


def test_the_url_rules_file_is_the_web_apps(app):
    assert json.loads(RULES_FILE.read_text()) == url_rules(app), f"a route changed: run `{REGENERATE}`"


def test_the_worker_app_has_every_job_receiver_and_source_of_the_web_app(app, tmp_path):
    worker = _worker_app(tmp_path)
    assert worker["registries"] == registries(), "a module that registers something is missing from DOMAIN_MODULES"
    assert "scheduled-mailings" in worker["registries"]["jobs"] and worker["registries"]["receivers"]


def test_the_worker_app_builds_the_links_mails_carry_as_the_web_app_does(app, tmp_path):
    from crm.outbox.bulk import external_url

    worker = _worker_app(tmp_path, app)
    with app.app_context():
        assert worker["links"] == [external_url(endpoint, **values) for endpoint, values in LINKS]
    assert worker["links"][0].endswith("/unsubscribe/t0ken")
    assert set(worker["filters"]) >= {"markdown", "riding_name", "member_title", "tr"}
    assert set(worker["filters"]) == set(app.jinja_env.filters)


def test_the_worker_app_imports_no_view_form_or_rate_limit_storage(tmp_path):
    modules = _worker_app(tmp_path)["modules"]
    assert [name for name in modules if name.startswith("crm.") and name.endswith("views")] == []
    assert [name for name in modules if name.startswith("crm.") and name.endswith("forms")] == []
    assert "redis" not in modules  # the rate limiter's storage, which only requests use


def test_the_worker_app_refuses_to_write_the_url_rules(tmp_path):
    from crm import create_worker_app

    worker = create_worker_app({"CRM_ENV": "testing", "INSTANCE_PATH": str(tmp_path)})
    result = worker.test_cli_runner().invoke(args=["crm", "url-rules"])
    assert result.exit_code == 1 and "Run this with the web app" in result.output


def test_the_worker_app_gives_each_sqlite_connection_a_smaller_page_cache_than_the_web_app(app, tmp_path):
    from sqlalchemy import text

    from crm import create_worker_app
    from crm.extensions import db

    database = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    config = {"CRM_ENV": "testing", "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": database}
    worker = create_worker_app(config)
    with worker.app_context():
        assert db.session.execute(text("PRAGMA cache_size")).scalar() == -worker.config["WORKER_SQLITE_CACHE_KIB"]
        db.session.remove()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            assert db.session.execute(text("PRAGMA cache_size")).scalar() == -app.config["SQLITE_CACHE_KIB"]
    assert worker.config["WORKER_SQLITE_CACHE_KIB"] < app.config["SQLITE_CACHE_KIB"]
