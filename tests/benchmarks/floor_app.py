"""The app the benchmarks serve under gunicorn: the product (`create_app()`, as wsgi.py makes it) plus bare
endpoints that are each benchmark's floor, so a floor and the product are measured on one warm server.

The floors exist only here, never in the product's routes:

- `POST /bench/letter-floor`: the two inserts of a letter's send (its outbox message and the letter) in one
  transaction, from the same form body, through the same session cookie, CSRF check and access guard, with
  no ORM objects, no template and no other query: what a send cannot go below.

- `GET /bench/sql-floor/<name>`: a page's own SQL, replayed through the driver alone: the statements (and their
  parameters) a warm product request ran, captured by `tests/benchmarks/sql_floor.py` into the instance folder,
  executed on a pooled DBAPI connection with every row fetched, committed only if the page committed; the answer
  is the number of rows. No ORM, no template, no session: what the page's database work costs at least.

The lookup API's floor is the product's own `/api/v1/ping`, which reads nothing.

Serve with `gunicorn 'tests.benchmarks.floor_app:make_app()'` (a factory: importing this module makes no app).
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, request, session
from sqlalchemy import insert

from crm import create_app
from crm.auth import access
from crm.campaigns.models import Letter
from crm.extensions import db
from crm.outbox.models import OutboundMessage

bp = Blueprint("bench", __name__)
FLOOR_ENDPOINTS = {"bench.letter_floor": access.PUBLIC, "bench.sql_floor": access.PUBLIC}
SQL_FOLDER = "bench-sql"
_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
_replays: dict[str, dict] = {}  # name -> {"statements": [(sql, parameters, many)], "commits": bool}, per process

_MESSAGE = insert(OutboundMessage).returning(OutboundMessage.id)
_LETTER = insert(Letter).returning(Letter.id)


@bp.post("/bench/letter-floor")
def letter_floor():
    """One letter as two INSERTs in one transaction; the writer from the session cookie, the letter from the form."""
    user_id = int(session["_user_id"].partition(":")[0])
    campaign_id = int(request.form["campaign_id"])
    person_id = int(request.form["person_id"])
    body = request.form.get("block-3", "")
    subject = "A letter from a member #skillstohelp"
    message_id = db.session.scalar(
        _MESSAGE,
        {
            "kind": "letter",
            "user_id": user_id,
            "to_address": "mpp@example.org",
            "from_address": "Member via ITPO <letters@example.org>",
            "reply_to": "member@example.org",
            "subject": subject,
            "text_body": body,
            "html_body": f"<p>{body}</p>",
            "status": "queued",
            "attempts": 0,
        },
    )
    letter_id = db.session.scalar(
        _LETTER,
        {
            "campaign_id": campaign_id,
            "user_id": user_id,
            "person_id": person_id,
            "template_id": int(request.form["template_id"]),
            "to_address": "mpp@example.org",
            "subject": subject,
            "body": body,
            "message_id": message_id,
        },
    )
    db.session.commit()
    return redirect(f"/my/letters/{letter_id}/share")


def sql_path(instance_path, name: str) -> Path:
    """Where the statements of the page named `name` are kept for its floor."""
    return Path(instance_path) / SQL_FOLDER / f"{name}.pickle"


def replay(connection, captured: dict) -> int:
    """Run the captured statements on a DBAPI `connection`, fetching every row; commit if the page did. Returns
    the rows fetched."""
    rows = 0
    cursor = connection.cursor()
    try:
        for statement, parameters, many in captured["statements"]:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
            if cursor.description is not None:
                rows += len(cursor.fetchall())
    finally:
        cursor.close()
    connection.commit() if captured["commits"] else connection.rollback()
    return rows


@bp.get("/bench/sql-floor/<name>")
def sql_floor(name):
    """A page's own SQL through the driver alone (loaded once per process); answers with the rows fetched."""
    if not _NAME.match(name):
        abort(404)
    captured = _replays.get(name)
    if captured is None:
        path = sql_path(current_app.instance_path, name)
        if not path.exists():
            abort(404)
        captured = _replays[name] = pickle.loads(path.read_bytes())  # written by the benchmark itself
    connection = db.engine.raw_connection()
    try:
        rows = replay(connection, captured)
    finally:
        connection.close()
    return str(rows), 200, {"Content-Type": "text/plain"}


def make_app(config=None):
    """The product's app with the floors added (their access lines too, in this process only)."""
    app = create_app(config)
    access.ACCESS.update(FLOOR_ENDPOINTS)
    app.register_blueprint(bp)
    return app
