"""Program forms: they check shape; rules needing the database live in services."""

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
    program_id = SelectField("Program", coerce=int, validators=[InputRequired("Choose a program.")])
    title = StringField("Title", validators=[DataRequired("Give the event a title."), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField(
        "Starts",
        format="%Y-%m-%dT%H:%M",
        description=TIME_HELP,
        validators=[InputRequired("Enter when the event starts.")],
    )
    ends_at = DateTimeLocalField(
        "Ends", format="%Y-%m-%dT%H:%M", description=TIME_HELP, validators=[InputRequired("Enter when the event ends.")]
    )
    capacity = IntegerField(
        "Capacity",
        validators=[
            InputRequired("Enter how many people can attend."),
            NumberRange(1, 10_000, "Enter a number from 1 to 10,000."),
        ],
    )
    status = SelectField(
        "Status", choices=[("draft", "Draft (not shown to members)"), ("open", "Open"), ("cancelled", "Cancelled")]
    )
    join_url = StringField(
        "Joining link",
        validators=[Optional(), URL(message="Enter a full https:// link."), Length(max=500)],
        description="Shown only to registered members.",
    )
    submit = SubmitField("Save event")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SpeakerOfferForm(FlaskForm):
    route = SelectField("How did you reach practice?", choices=list(SPEAKER_ROUTES))
    program_id = SelectField(
        "Which program would you like to speak in? (optional)", coerce=_optional_int, validators=[Optional()]
    )
    topic = TextAreaField(
        "What would you like to share?",
        validators=[DataRequired("Tell us what you would talk about."), Length(max=3000)],
    )
    consent_featured = BooleanField(
        "Yes, ITPO may name me, and describe my route to practice, on its program pages and in event announcements."
    )
    submit = SubmitField("Offer to speak")


class ReviewOfferForm(FlaskForm):
    decision = SelectField("Decision", choices=[("accepted", "Accept"), ("declined", "Decline")])


class AssignSpeakerForm(FlaskForm):
    offer_id = SelectField("Speaker", coerce=int, validators=[InputRequired("Choose a speaker.")])
    submit = SubmitField("Assign speaker")


class AttendeeImportForm(FlaskForm):
    file = FileField(
        "Attendee list (CSV from the webinar platform)",
        description="A CSV file with an Email column. Unknown emails are listed, not imported.",
    )
    submit = SubmitField("Import attendees")


class ResourceForm(FlaskForm):
    program_id = SelectField("Program", coerce=int, validators=[InputRequired("Choose a program.")])
    title = StringField("Title", validators=[DataRequired("Give the resource a title."), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    url = StringField("Link", validators=[Optional(), Length(max=500)], description="Either a link or a file.")
    file = FileField("File", description="PDF, PNG, JPEG, Word or PowerPoint.")
    stages = SelectMultipleField(
        "For members at these stages",
        choices=list(LICENSURE_STAGES),
        validators=[Optional()],
        description="None chosen: every stage.",
    )
    submit = SubmitField("Add resource")
