"""Program forms: they check shape; rules needing the database live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from crm.members.models import LICENSURE_STAGES
from crm.programs.models import SPEAKER_ROUTES

TIME_HELP = "Toronto time."


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class EventForm(FlaskForm):
    program_id = SelectField(_l("Program"), coerce=int, validators=[InputRequired(_l("Choose a program."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the event a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        description=TIME_HELP,
        validators=[InputRequired(_l("Enter when the event starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        description=TIME_HELP,
        validators=[InputRequired(_l("Enter when the event ends."))],
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            InputRequired(_l("Enter how many people can attend.")),
            NumberRange(1, 10_000, _l("Enter a number from 1 to 10,000.")),
        ],
    )
    status = SelectField(
        _l("Status"),
        choices=[("draft", _l("Draft (not shown to members)")), ("open", _l("Open")), ("cancelled", _l("Cancelled"))],
    )
    join_url = StringField(
        _l("Joining link"),
        validators=[Optional(), URL(message=_l("Enter a full https:// link.")), Length(max=500)],
        description=_l("Shown only to registered members."),
    )
    submit = SubmitField(_l("Save event"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SpeakerOfferForm(FlaskForm):
    route = SelectField(_l("How did you reach practice?"), choices=[(v, _l(label)) for v, label in SPEAKER_ROUTES])
    program_id = SelectField(
        _l("Which program would you like to speak in? (optional)"), coerce=_optional_int, validators=[Optional()]
    )
    topic = TextAreaField(
        _l("What would you like to share?"),
        validators=[DataRequired(_l("Tell us what you would talk about.")), Length(max=3000)],
    )
    consent_featured = BooleanField(
        _l("Yes, ITPO may name me, and describe my route to practice, on its program pages and in event announcements.")
    )
    submit = SubmitField(_l("Offer to speak"))


class ReviewOfferForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[("accepted", _l("Accept")), ("declined", _l("Decline"))])


class AssignSpeakerForm(FlaskForm):
    offer_id = SelectField(_l("Speaker"), coerce=int, validators=[InputRequired(_l("Choose a speaker."))])
    submit = SubmitField(_l("Assign speaker"))


class AttendeeImportForm(FlaskForm):
    file = FileField(
        _l("Attendee list (CSV from the webinar platform)"),
        description=_l("A CSV file with an Email column. Unknown emails are listed, not imported."),
    )
    submit = SubmitField(_l("Import attendees"))


class ResourceForm(FlaskForm):
    program_id = SelectField(_l("Program"), coerce=int, validators=[InputRequired(_l("Choose a program."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the resource a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    url = StringField(_l("Link"), validators=[Optional(), Length(max=500)], description=_l("Either a link or a file."))
    file = FileField(_l("File"), description=_l("PDF, PNG, JPEG, Word or PowerPoint."))
    stages = SelectMultipleField(
        _l("For members at these stages"),
        choices=list(LICENSURE_STAGES),
        validators=[Optional()],
        description=_l("None chosen: every stage."),
    )
    submit = SubmitField(_l("Add resource"))
