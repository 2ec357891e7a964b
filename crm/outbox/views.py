"""The development mailbox: read what the file backend wrote (development only)."""
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("outbox", __name__, url_prefix="/dev/mailbox")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.eml$")


def _mail_dir() -> Path:
    return Path(current_app.config["MAIL_FILE_DIR"])


def _read(path: Path) -> dict:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    return {"name": path.name, "to": message["To"], "from": message["From"], "subject": message["Subject"],
            "date": message["Date"], "reply_to": message["Reply-To"],
            "text": body.get_content() if body is not None else ""}


@bp.route("/")
def dev_mailbox():
    directory = _mail_dir()
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) if directory.exists() else []
    return render_template("outbox/mailbox.html", messages=[_read(p) for p in files[:200]])


@bp.route("/<name>")
def dev_message(name):
    if not _NAME.match(name):
        abort(404)
    path = _mail_dir() / name
    if not path.is_file():
        abort(404)
    return render_template("outbox/message.html", message=_read(path))
