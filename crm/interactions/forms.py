"""Interaction forms: they check shape; rules needing the database live in services."""

from flask_babel import lazy_gettext as _l
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
from crm.lib.i18n import N_
from crm.proposals.forms import VersionField

MARKDOWN_HELP = _l("Markdown works: **bold**, *italic*, lists with -, [links](https://…).")
PLATFORMS = (
    ("x", "X (Twitter)"),
    ("linkedin", "LinkedIn"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("tiktok", "TikTok"),
    ("youtube", "YouTube"),
    ("bluesky", "Bluesky"),
    ("other", N_("Other")),
)
FIRST_TAG, SECOND_TAG = SUGGESTED_HASHTAGS


def _translated(pairs) -> list[tuple[str, str]]:
    """A constant's (value, label) pairs, the labels (marked N_ where they are defined) in the page's language."""
    return [(value, _l(label)) for value, label in pairs]


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
        _l("Participant"),
        validators=[Optional(), Length(max=300)],
        render_kw={"data-party-search": "person,organization,user", "autocomplete": "off"},
    )
    role = SelectField(_l("Role"), choices=_translated(PARTICIPANT_ROLES), default="attendee")


class FollowUpRow(Form):
    title = StringField(_l("Follow-up"), validators=[Optional(), Length(max=200)])
    due_date = DateField(_l("Due"), validators=[Optional()])
    assignee_id = SelectField(_l("Assignee"), choices=[], coerce=optional_int, validate_choice=False)


class InteractionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_translated(KINDS), default="meeting")
    occurred_at = DateTimeLocalField(
        _l("Date and time"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Enter the date and time, e.g. 2026-11-24 14:30."))],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the interaction a short title.")), Length(max=200)]
    )
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=20_000)], description=MARKDOWN_HELP, render_kw={"rows": 5}
    )
    outcome = TextAreaField(
        _l("Outcome"), validators=[Optional(), Length(max=20_000)], description=MARKDOWN_HELP, render_kw={"rows": 3}
    )
    hashtags = StringField(
        _l("Hashtags"),
        validators=[Optional(), Length(max=300)],
        description=_l("Separate with spaces; ITPO uses %(first)s and %(second)s.", first=FIRST_TAG, second=SECOND_TAG),
    )
    jurisdiction_id = SelectField(_l("Jurisdiction"), choices=[], coerce=optional_int, validate_choice=False)
    # Choices: the published proposal versions (set by the view); the service checks the jurisdiction.
    proposal_version_id = VersionField(_l("Proposal version presented"))
    participants = FieldList(FormField(ParticipantRow), min_entries=6, max_entries=40)
    follow_ups = FieldList(FormField(FollowUpRow), min_entries=2, max_entries=20)
    meeting_format = SelectField(
        _l("Format"), choices=[("", "—")] + _translated(MEETING_FORMATS), validators=[Optional()]
    )
    platform = SelectField(
        _l("Platform (social posts)"), choices=[("", "—")] + _translated(PLATFORMS), validators=[Optional()]
    )
    url = URLField(
        _l("Link (social posts)"),
        validators=[Optional(), URL(message=_l("Enter a full link, https://…")), Length(max=500)],
    )
    reach = IntegerField(_l("Reach, if known"), validators=[Optional(), NumberRange(0, 2_000_000_000)])
    posted_by = StringField(_l("Posted by"), validators=[Optional(), Length(max=160)])
    submit = SubmitField(_l("Save interaction"))


class SocialPostForm(FlaskForm):
    platform = SelectField(_l("Platform"), choices=_translated(PLATFORMS))
    url = URLField(
        _l("Link to the post"),
        validators=[
            DataRequired(_l("Paste the link to the post.")),
            URL(message=_l("Enter a full link, https://…")),
            Length(max=500),
        ],
    )
    occurred_on = DateField(_l("Date posted"), validators=[DataRequired(_l("Enter the date of the post."))])
    posted_by = StringField(_l("Who posted"), validators=[DataRequired(_l("Say who posted it.")), Length(max=160)])
    hashtags = StringField(
        _l("Hashtags"),
        default="#skillstohelp",
        validators=[Optional(), Length(max=300)],
        description=_l("Separate with spaces, e.g. #skillstohelp #mppchats."),
    )
    reach = IntegerField(
        _l("Reach (views or impressions), if known"),
        validators=[Optional(), NumberRange(0, 2_000_000_000, _l("Enter a number of 0 or more."))],
    )
    summary = TextAreaField(
        _l("What it said (optional)"),
        validators=[Optional(), Length(max=5000)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save post"))


class MppChatForm(FlaskForm):
    occurred_on = DateField(
        _l("When did you talk?"), validators=[DataRequired(_l("Enter the date of the conversation."))]
    )
    meeting_format = SelectField(_l("How did you talk?"), choices=_translated(MEETING_FORMATS))
    person_id = SelectField(
        _l("Your MPP"),
        choices=[],
        coerce=optional_int,
        validate_choice=False,
        description=_l("We chose the MPP for your riding; change it if you met another."),
    )
    summary = TextAreaField(
        _l("What did you talk about?"),
        validators=[DataRequired(_l("Tell us what you talked about.")), Length(max=10_000)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 5},
    )
    outcome = TextAreaField(
        _l("What came out of it? (optional)"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Send my report"))


class FollowUpForm(FlaskForm):
    title = StringField(_l("Follow-up"), validators=[DataRequired(_l("Say what needs doing.")), Length(max=200)])
    due_date = DateField(_l("Due"), validators=[DataRequired(_l("Enter the due date."))])
    assignee_id = SelectField(_l("Assignee"), choices=[], coerce=optional_int, validate_choice=False)
    submit = SubmitField(_l("Add follow-up"))


class FollowUpStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_translated(FOLLOW_UP_STATUSES))


class InteractionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=[("", _l("Any kind"))] + _translated(KINDS), validators=[Optional()])
    hashtag = StringField(_l("Hashtag"), validators=[Optional(), Length(max=60)])
    jurisdiction_id = SelectField(_l("Jurisdiction"), choices=[], coerce=optional_int, validate_choice=False)
    stakeholder = SelectField(
        _l("Stakeholder"),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
        render_kw={"data-party-search": "person,organization"},
    )
    participant = SelectField(_l("ITPO participant"), choices=[], coerce=optional_int, validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
