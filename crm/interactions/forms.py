"""Interaction forms: they check shape; rules needing the database live in services."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from crm.interactions.models import FOLLOW_UP_STATUSES, KINDS, MEETING_FORMATS, PARTICIPANT_ROLES, SUGGESTED_HASHTAGS
from crm.proposals.forms import VersionField

MARKDOWN_HELP = "Markdown works: **bold**, *italic*, lists with -, [links](https://…)."
PLATFORMS = (
    ("x", "X (Twitter)"),
    ("linkedin", "LinkedIn"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("tiktok", "TikTok"),
    ("youtube", "YouTube"),
    ("bluesky", "Bluesky"),
    ("other", "Other"),
)


def optional_int(value):
    """Coerce a select's value: '' (or junk) means none chosen."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ParticipantRow(Form):
    """One participant: a typed name (the server finds the one party of that name) or, with interactions.js,
    one chosen by search, which also fills the hidden reference `who` (not `name`: a form already has one)."""

    who = HiddenField()
    who_name = StringField(
        "Participant",
        validators=[Optional(), Length(max=300)],
        render_kw={"data-party-search": "person,organization,user", "autocomplete": "off"},
    )
    role = SelectField("Role", choices=PARTICIPANT_ROLES, default="attendee")


class FollowUpRow(Form):
    title = StringField("Follow-up", validators=[Optional(), Length(max=200)])
    due_date = DateField("Due", validators=[Optional()])
    assignee_id = SelectField("Assignee", choices=[], coerce=optional_int, validate_choice=False)


class InteractionForm(FlaskForm):
    kind = SelectField("Kind", choices=KINDS, default="meeting")
    occurred_at = DateTimeLocalField(
        "Date and time",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired("Enter the date and time, e.g. 2026-11-24 14:30.")],
    )
    title = StringField("Title", validators=[DataRequired("Give the interaction a short title."), Length(max=200)])
    summary = TextAreaField(
        "Summary", validators=[Optional(), Length(max=20_000)], description=MARKDOWN_HELP, render_kw={"rows": 5}
    )
    outcome = TextAreaField(
        "Outcome", validators=[Optional(), Length(max=20_000)], description=MARKDOWN_HELP, render_kw={"rows": 3}
    )
    hashtags = StringField(
        "Hashtags",
        validators=[Optional(), Length(max=300)],
        description="Separate with spaces; ITPO uses " + " and ".join(SUGGESTED_HASHTAGS) + ".",
    )
    jurisdiction_id = SelectField("Jurisdiction", choices=[], coerce=optional_int, validate_choice=False)
    # Choices: the published proposal versions (set by the view); the service checks the jurisdiction.
    proposal_version_id = VersionField("Proposal version presented")
    participants = FieldList(FormField(ParticipantRow), min_entries=6, max_entries=40)
    follow_ups = FieldList(FormField(FollowUpRow), min_entries=2, max_entries=20)
    meeting_format = SelectField("Format", choices=[("", "—")] + list(MEETING_FORMATS), validators=[Optional()])
    platform = SelectField("Platform (social posts)", choices=[("", "—")] + list(PLATFORMS), validators=[Optional()])
    url = URLField(
        "Link (social posts)", validators=[Optional(), URL(message="Enter a full link, https://…"), Length(max=500)]
    )
    reach = IntegerField("Reach, if known", validators=[Optional(), NumberRange(0, 2_000_000_000)])
    posted_by = StringField("Posted by", validators=[Optional(), Length(max=160)])
    submit = SubmitField("Save interaction")


class SocialPostForm(FlaskForm):
    platform = SelectField("Platform", choices=PLATFORMS)
    url = URLField(
        "Link to the post",
        validators=[
            DataRequired("Paste the link to the post."),
            URL(message="Enter a full link, https://…"),
            Length(max=500),
        ],
    )
    occurred_on = DateField("Date posted", validators=[DataRequired("Enter the date of the post.")])
    posted_by = StringField("Who posted", validators=[DataRequired("Say who posted it."), Length(max=160)])
    hashtags = StringField(
        "Hashtags",
        default="#skillstohelp",
        validators=[Optional(), Length(max=300)],
        description="Separate with spaces, e.g. #skillstohelp #mppchats.",
    )
    reach = IntegerField(
        "Reach (views or impressions), if known",
        validators=[Optional(), NumberRange(0, 2_000_000_000, "Enter a number of 0 or more.")],
    )
    summary = TextAreaField(
        "What it said (optional)",
        validators=[Optional(), Length(max=5000)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 3},
    )
    submit = SubmitField("Save post")


class MppChatForm(FlaskForm):
    occurred_on = DateField("When did you talk?", validators=[DataRequired("Enter the date of the conversation.")])
    meeting_format = SelectField("How did you talk?", choices=MEETING_FORMATS)
    person_id = SelectField(
        "Your MPP",
        choices=[],
        coerce=optional_int,
        validate_choice=False,
        description="We chose the MPP for your riding; change it if you met another.",
    )
    summary = TextAreaField(
        "What did you talk about?",
        validators=[DataRequired("Tell us what you talked about."), Length(max=10_000)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 5},
    )
    outcome = TextAreaField(
        "What came out of it? (optional)", validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField("Send my report")


class FollowUpForm(FlaskForm):
    title = StringField("Follow-up", validators=[DataRequired("Say what needs doing."), Length(max=200)])
    due_date = DateField("Due", validators=[DataRequired("Enter the due date.")])
    assignee_id = SelectField("Assignee", choices=[], coerce=optional_int, validate_choice=False)
    submit = SubmitField("Add follow-up")


class FollowUpStatusForm(FlaskForm):
    status = SelectField("Status", choices=FOLLOW_UP_STATUSES)


class InteractionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField("Kind", choices=[("", "Any kind")] + list(KINDS), validators=[Optional()])
    hashtag = StringField("Hashtag", validators=[Optional(), Length(max=60)])
    jurisdiction_id = SelectField("Jurisdiction", choices=[], coerce=optional_int, validate_choice=False)
    stakeholder = SelectField(
        "Stakeholder",
        choices=[],
        validate_choice=False,
        validators=[Optional()],
        render_kw={"data-party-search": "person,organization"},
    )
    participant = SelectField("ITPO participant", choices=[], coerce=optional_int, validate_choice=False)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
