"""Mail backends behind one seam: `send(message) -> provider message id`."""
from __future__ import annotations

import threading
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from flask import current_app

from crm.outbox.models import OutboundMessage


class PermanentFailure(Exception):
    """The provider refused the message; sending it again will not help."""


class TemporaryFailure(Exception):
    """The provider could not take the message now; try again later."""


class Mailer(Protocol):
    def send(self, message: OutboundMessage) -> str: ...


def to_email_message(message: OutboundMessage, to_address: str) -> EmailMessage:
    """Build the RFC 5322 message for an outbox row."""
    email = EmailMessage()
    email["From"] = message.from_address
    email["To"] = to_address
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="itpo.local")
    email["X-CRM-Message"] = str(message.id)
    if message.created_at:
        email["Date"] = format_datetime(message.created_at)
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


class FileMailer:
    """Writes each message as an .eml file in the instance folder (the development default)."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def send(self, message: OutboundMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = f"file-{message.id}-{uuid.uuid4().hex[:8]}"
        email = to_email_message(message, recipient(message))
        (self.directory / f"{message_id}.eml").write_bytes(bytes(email))
        return message_id


class MemoryMailer:
    """Keeps sent messages in a list (tests)."""

    def __init__(self):
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> str:
        with self._lock:
            self.sent.append(to_email_message(message, recipient(message)))
        return f"memory-{message.id}"


def recipient(message: OutboundMessage) -> str:
    """MAIL_REDIRECT_TO (staging) sends everything to one address."""
    return current_app.config.get("MAIL_REDIRECT_TO") or message.to_address


def make_mailer(app) -> Mailer:
    name = app.config["MAIL_BACKEND"]
    if name == "file":
        return FileMailer(app.config["MAIL_FILE_DIR"])
    if name == "memory":
        return MemoryMailer()
    raise RuntimeError(
        f"MAIL_BACKEND={name!r} is not available yet; use 'file' or 'memory' (SendGrid arrives with the delivery issue)."
    )
