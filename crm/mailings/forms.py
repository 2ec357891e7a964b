"""Segment and mailing forms: they check shape; the services check what needs the database."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.mailings.services import MAX_BODY_CHARS, MAX_SUBJECT_CHARS
from crm.members.forms import PROVINCES
from crm.members.models import LICENSURE_STAGES


class Checkboxes(SelectMultipleField):
    """A multiple choice shown as checkboxes (no script needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SegmentForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=120)],
        description=_l("Needed to save the segment; not to count it."),
    )
    province = SelectField(
        _l("Province or territory"), choices=[("", _l("Any"))] + list(PROVINCES), validators=[Optional()]
    )
    district_ids = SelectMultipleField(
        _l("Ridings"),
        coerce=int,
        choices=[],
        validators=[Optional()],
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several; none means any."),
    )
    licensure_stages = Checkboxes("Licensure stage", choices=list(LICENSURE_STAGES), validators=[Optional()])
    training_countries = SelectMultipleField(_l("Country of training"), choices=[], validators=[Optional()])
    specialties = SelectMultipleField(_l("Specialty"), choices=[], validators=[Optional()])
    programs_registered = Checkboxes("Registered for an event of", coerce=int, choices=[], validators=[Optional()])
    programs_attended = Checkboxes("Attended an event of", coerce=int, choices=[], validators=[Optional()])
    joined_from = DateField(_l("Joined on or after"), validators=[Optional()])
    joined_to = DateField(_l("Joined on or before"), validators=[Optional()])
    wrote_in = SelectField(_l("Wrote a letter in"), choices=[], validators=[Optional()])
    not_wrote_in = SelectField(_l("Has not written a letter in"), choices=[], validators=[Optional()])
    count = SubmitField(_l("Count"))
    save = SubmitField(_l("Save segment"))


class MailingForm(FlaskForm):
    segment_id = SelectField(
        _l("Send to (segment)"),
        coerce=int,
        choices=[],
        validators=[DataRequired(_l("Choose a segment; make one on the Segments page first."))],
    )
    subject = StringField(
        _l("Subject"), validators=[DataRequired(_l("Write the subject.")), Length(max=MAX_SUBJECT_CHARS)]
    )
    body = TextAreaField(
        _l("Text"),
        render_kw={"rows": 12},
        validators=[DataRequired(_l("Write the text.")), Length(max=MAX_BODY_CHARS)],
        description=_l(
            "Placeholders in {{ double braces }}; the footer with the unsubscribe link is added to every message."
        ),
    )
    subject_fr = StringField(
        _l("French subject (optional)"),
        validators=[Optional(), Length(max=MAX_SUBJECT_CHARS)],
        description=_l("Members whose language is French get the French version; everyone else the English."),
    )
    body_fr = TextAreaField(
        _l("French text (optional)"),
        render_kw={"rows": 12},
        validators=[Optional(), Length(max=MAX_BODY_CHARS)],
        description=_l("The same placeholders as the English text; leave both French fields empty for none."),
    )
    submit = SubmitField(_l("Save and preview"))


class SendForm(FlaskForm):
    scheduled_at = DateTimeLocalField(
        _l("Send at (UTC; leave empty to send now)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    send = SubmitField(_l("Send mailing"))


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (send me a test, cancel, make a segment)."""

    submit = SubmitField(_l("Go"))
