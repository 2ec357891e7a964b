"""The web app's URL rules as data (crm/url_rules.json), so the worker app builds the links its mails carry without
importing the views. tests/ops/test_worker_app.py fails when the file and the web app's rules differ."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.routing import Rule

RULES_FILE = Path(__file__).resolve().parent.parent / "url_rules.json"
REGENERATE = "flask --app wsgi crm url-rules"  # what writes the file again after a route changes


def url_rules(app) -> list[dict]:
    """Every rule of `app`, in the order url_for tries them: path, endpoint, methods and defaults."""
    return [
        {
            "rule": rule.rule,
            "endpoint": rule.endpoint,
            "methods": sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}),  # (Werkzeug adds these two)
            "defaults": rule.defaults or None,
        }
        for rule in app.url_map.iter_rules()
    ]


def write_url_rules(app, path: Path = RULES_FILE) -> int:
    """Write `app`'s rules (the web app's) to the file; returns how many."""
    rules = url_rules(app)
    path.write_text("[\n" + ",\n".join(json.dumps(rule, sort_keys=True) for rule in rules) + "\n]\n")  # a line each
    return len(rules)


def add_url_rules(app, path: Path = RULES_FILE) -> None:
    """Give `app` the web app's rules without view functions: url_for builds them; nothing is served."""
    known = {(rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()}  # the static route Flask adds
    for entry in json.loads(path.read_text()):
        if (entry["rule"], entry["endpoint"]) not in known:
            app.url_map.add(
                Rule(entry["rule"], endpoint=entry["endpoint"], methods=entry["methods"], defaults=entry["defaults"])
            )
