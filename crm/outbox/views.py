"""Outbox pages: the SendGrid webhook, the admin's delivery problems, address health, unsubscribe,
and the development mailbox."""

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from crm.extensions import csrf, db
from crm.lib.i18n import N_
from crm.lib.pagination import page_args, paginate
from crm.outbox import bulk, services
from crm.outbox.forms import AttentionFilterForm, MessageActionForm
from crm.outbox.models import AddressHealth, OutboundMessage
from crm.outbox.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadBody,
    BadSignature,
    parse_events,
    record_events,
    verify_request,
)

bp = Blueprint("outbox", __name__)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.eml$")


def _json_error(status: int, code: str, message: str):
    return jsonify(error={"code": code, "status": status, "message": message}), status


@bp.route("/webhooks/sendgrid", methods=["POST"])
@csrf.exempt
def sendgrid_events():
    """SendGrid's Event Webhook: verified, deduplicated, applied forward-only. A 200 keeps what it can store
    and lists the rest, a 400 stores nothing, never a 500 (SendGrid would retry the batch for 24 hours)."""
    key = current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    if not key:
        return _json_error(503, "not_configured", "SENDGRID_WEBHOOK_PUBLIC_KEY is not set.")
    body = request.get_data(cache=False)
    try:
        verify_request(
            key,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            body,
            current_app.config["SENDGRID_WEBHOOK_MAX_AGE_SECONDS"],
        )
        counts = record_events(db.session, parse_events(body))
    except BadSignature as error:
        return _json_error(403, "bad_signature", str(error))
    except BadBody as error:
        return _json_error(400, error.code, error.message)
    db.session.commit()
    if counts["received"] and counts["ignored"] == counts["received"]:
        message = "No event in the batch could be stored: each needs a text sg_event_id and event. See 'rejected'."
        return jsonify(error={"code": "no_valid_events", "status": 400, "message": message}, **counts), 400
    return jsonify(counts)


@bp.route("/admin/outbox")
def admin_messages():
    """Messages whose delivery needs a person: unknown (a worker died mid-send) and failed."""
    form = AttentionFilterForm(request.args)
    statuses = (form.status.data,) if form.validate() and form.status.data else ("unknown", "failed")
    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError:
        limit, offset = 50, 0
    page = paginate(db.session, services.messages_needing_attention(statuses), limit=limit, offset=offset)
    return render_template("outbox/admin_messages.html", page=page, form=form, action_form=MessageActionForm())


def _admin_action(message_id: int, action, done: str, refused: str):
    message = db.get_or_404(OutboundMessage, message_id)
    if not MessageActionForm().validate_on_submit():
        flash(gettext("This form has expired. Reload the page and try again."), "danger")
    elif action(db.session, message):
        db.session.commit()
        flash(gettext(done, id=message.id, to=message.to_address), "success")
    else:
        flash(gettext(refused, id=message.id, status=gettext(message.status)), "warning")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("outbox.admin_messages")
    )


@bp.route("/admin/outbox/<int:message_id>/resend", methods=["POST"])
def admin_resend(message_id):
    return _admin_action(
        message_id,
        services.resend,
        N_("Message %(id)s to %(to)s is queued again."),
        N_("Message %(id)s is %(status)s; only unknown or failed messages can be resent."),
    )


@bp.route("/admin/outbox/<int:message_id>/cancel", methods=["POST"])
def admin_cancel(message_id):
    return _admin_action(
        message_id,
        services.cancel,
        N_("Message %(id)s to %(to)s is cancelled and will not be sent."),
        N_("Message %(id)s is %(status)s and can no longer be cancelled."),
    )


@bp.route("/outbox/addresses")
def address_health():
    """Addresses that bounce, worst first: leads see which representatives' addresses are failing."""
    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError:
        limit, offset = 50, 0
    stmt = select(AddressHealth).order_by(
        AddressHealth.failing.desc(), AddressHealth.bounces.desc(), AddressHealth.address
    )
    page = paginate(db.session, stmt, limit=limit, offset=offset)
    return render_template("outbox/address_health.html", page=page)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the capability; a mail client's RFC 8058 one-click POST carries no form token
def unsubscribe(token):
    """No login, effective at once on POST: the button on this page, or RFC 8058 one-click from the mail client.

    GET only asks: mail scanners and link previewers follow links, and must not unsubscribe anyone.
    """
    data = bulk.read_unsubscribe_token(token)
    if data is None:
        abort(404)
    if request.method == "GET":
        return render_template("outbox/unsubscribe_confirm.html", address=data["a"], token=token)
    bulk.unsubscribe(db.session, data["a"], data.get("u"))
    db.session.commit()
    if "List-Unsubscribe" in request.form:
        return "", 204
    return render_template("outbox/unsubscribed.html", address=data["a"])


def _mail_dir() -> Path:
    if not current_app.config["DEV_MAILBOX"]:
        abort(404)
    return Path(current_app.config["MAIL_FILE_DIR"])


def _read(path: Path) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    return {
        "name": path.name,
        "to": message["To"],
        "from": message["From"],
        "subject": message["Subject"],
        "date": message["Date"],
        "reply_to": message["Reply-To"],
        "text": body.get_content() if body is not None else "",
    }


@bp.route("/dev/mailbox/")
def dev_mailbox():
    directory = _mail_dir()
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) if directory.exists() else []
    return render_template("outbox/mailbox.html", messages=[_read(p) for p in files[:200]])


@bp.route("/dev/mailbox/<name>")
def dev_message(name):
    directory = _mail_dir()
    if not _NAME.match(name):
        abort(404)
    path = directory / name
    if not path.is_file():
        abort(404)
    return render_template("outbox/message.html", message=_read(path))
