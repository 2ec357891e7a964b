"""The health check, /metrics for Prometheus, and the admin's health page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.ops import health, metrics
from crm.ops.jobs import WORKER_SILENT_AFTER, last_worker_seen
from crm.outbox.services import utcnow

bp = Blueprint("ops", __name__)


@bp.record_once
def _time_every_request(state):
    """Request latency by endpoint for /metrics (registered before the access guard, so refusals count too)."""
    state.app.before_request(metrics.start_timer)
    state.app.after_request(metrics.observe)


@bp.route("/healthz")
def healthz():
    """200 when the database answers (saying whether a worker was seen in the last five minutes), 503 when not."""
    try:
        db.session.execute(text("SELECT 1"))
        seen = last_worker_seen(db.session)
    except SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="unavailable", database={"ok": False, "error": type(error).__name__}), 503
    worker_ok = seen is not None and utcnow() - seen <= WORKER_SILENT_AFTER
    worker = {"ok": worker_ok, "last_seen": seen.isoformat() + "Z" if seen else None}
    if seen is None:
        worker["message"] = "No worker has been seen yet: start `flask crm worker` (mail and scheduled jobs wait)."
    elif not worker_ok:
        minutes = int((utcnow() - seen).total_seconds() // 60)
        worker["message"] = (
            f"No worker seen for {minutes} minutes: start `flask crm worker` (mail and scheduled jobs wait)."
        )
    return jsonify(
        status="ok" if worker_ok else "no_worker",
        database={"ok": True, "dialect": db.engine.dialect.name},
        worker=worker,
    )


@bp.route("/metrics", endpoint="metrics")
def metrics_page():
    """Prometheus text format; the access table lets in a bearer METRICS_TOKEN or an admin's session."""
    body = metrics.exposition(db.session)
    db.session.rollback()
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")


@bp.route("/admin/health")
def health_page():
    """The admin's view of the same figures: mail queue, webhook, failing addresses, jobs, roster, disk, backup, and
    what `crm doctor` finds."""
    figures = health.gather(current_app, db.session)
    return render_template("ops/health.html", health=figures, age=health.age)
