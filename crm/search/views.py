"""The search page: the staff bar's box submits here."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from crm.auth.access import allowed
from crm.extensions import db
from crm.search import services

bp = Blueprint("search", __name__)


@bp.route("/search")
def results():
    outcome = services.search(db.session, request.args.get("q"), lambda endpoint: allowed(endpoint, current_user))
    return render_template("search/results.html", outcome=outcome, max_length=services.MAX_LENGTH)
