"""Outbox forms: the admin's resend/cancel buttons carry only a CSRF token and the list filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

ATTENTION_CHOICES = [("", _l("Unknown and failed")), ("unknown", _l("Unknown")), ("failed", _l("Failed"))]


class MessageActionForm(FlaskForm):
    """Resend or cancel one message (the action is in the URL)."""


class AttentionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=ATTENTION_CHOICES, default="")
