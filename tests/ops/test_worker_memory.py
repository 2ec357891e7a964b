"""What a process that starts the app (a web worker, `flask crm worker`) holds before it does anything: not the
libraries that only some pages or commands use (issue 23, item 4: the worker's memory)."""

import json
import subprocess
import sys

from crm import ROOT

# Imported by the code that needs them: pandas (spreadsheets), Alembic and Mako (`flask db`,
# backups), cryptography (two-step verification, the webhook's signature). Numpy joins once
# crm/campaigns/letter_rows.py imports it only for type hints, as similarity.py does.
LOADED_ON_DEMAND = ("pandas", "numpy", "alembic", "mako", "flask_migrate", "cryptography")

_START_AND_LIST = """
import json, sys
from crm import create_app
create_app({"CRM_ENV": "testing", "INSTANCE_PATH": sys.argv[1]})
print(json.dumps(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


def test_a_started_app_holds_no_library_that_only_some_pages_or_commands_use(tmp_path):
    started = subprocess.run(
        [sys.executable, "-c", _START_AND_LIST, str(tmp_path), *LOADED_ON_DEMAND],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(started.stdout.splitlines()[-1]) == []


def test_flask_db_still_lists_and_runs_the_migration_commands(app):
    runner = app.test_cli_runner()
    assert "Perform database migrations." in runner.invoke(args=["--help"]).output
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    heads = runner.invoke(args=["db", "heads"])  # prints to the stdout Alembic was imported with, not the runner's
    assert heads.exit_code == 0, heads.output
    assert runner.invoke(args=["db", "no-such-command"]).exit_code == 2
