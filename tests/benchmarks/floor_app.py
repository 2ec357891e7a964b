"""The app the benchmarks serve under gunicorn: the product (`create_app()`, as wsgi.py makes it) plus bare
endpoints that are each benchmark's floor, so a floor and the product are measured on one warm server.

The floors exist only here, never in the product's routes:

- `POST /bench/letter-floor`: the two inserts of a letter's send (its outbox message and the letter) in one
  transaction, from the same form body, through the same session cookie, CSRF check and access guard, with
  no ORM objects, no template and no other query: what a send cannot go below.

The lookup API's floor is the product's own `/api/v1/ping`, which reads nothing.

Serve with `gunicorn 'tests.benchmarks.floor_app:make_app()'` (a factory: importing this module makes no app).
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, session
from sqlalchemy import insert

from crm import create_app
from crm.auth import access
from crm.campaigns.models import Letter
from crm.extensions import db
from crm.outbox.models import OutboundMessage

bp = Blueprint("bench", __name__)
FLOOR_ENDPOINTS = {"bench.letter_floor": access.PUBLIC}

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


def make_app(config=None):
    """The product's app with the floors added (their access lines too, in this process only)."""
    app = create_app(config)
    access.ACCESS.update(FLOOR_ENDPOINTS)
    app.register_blueprint(bp)
    return app
