"""Directory forms: filters, person and organization edits, stances, merge, import uploads."""

from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp, ValidationError

from crm.lib.errors import ValidationError as Refused
from crm.stakeholders.models import ASKS, ORGANIZATION_KINDS, POSITIONS, looks_like_phone

ANY = [("", "Any")]
STATUSES = [("", "Any"), ("current", "Current elected office"), ("former", "Former elected office")]
PEOPLE_SORTS = [("name", "Name A–Z"), ("-name", "Name Z–A"), ("organization", "Organization"), ("newest", "Newest")]
ORGANIZATION_SORTS = [("name", "Name A–Z"), ("-name", "Name Z–A"), ("kind", "Kind"), ("newest", "Newest")]


class _FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    kind = SelectField("Organization kind", choices=ANY + list(ORGANIZATION_KINDS), validate_choice=True)
    jurisdiction = SelectField("Jurisdiction", choices=ANY)
    ask = SelectField("Stance on", choices=ANY + list(ASKS))
    position = SelectField("Stance", choices=ANY + list(POSITIONS))


class PeopleFilterForm(_FilterForm):
    party = SelectField("Party", choices=ANY)
    tag = StringField("Tag", validators=[Optional(), Length(max=60)])
    status = SelectField("Office", choices=STATUSES)
    organization = IntegerField("Organization", validators=[Optional()])
    sort = SelectField("Sort by", choices=PEOPLE_SORTS)


class OrganizationFilterForm(_FilterForm):
    sort = SelectField("Sort by", choices=ORGANIZATION_SORTS)


class ContactLines:
    """Parses 'label: value' lines into `field.parsed` [(label, value)]; checks emails when `email`."""

    def __init__(self, email: bool):
        self.email = email

    def __call__(self, form, field):
        parsed, problems = [], []
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            label, _, value = line.rpartition(": ") if ": " in line else ("work", "", line)
            label, value = (label.strip().lower() or "work")[:40], value.strip()
            if self.email:
                try:
                    value = validate_email(value, check_deliverability=False).normalized.lower()
                except EmailNotValidError:
                    problems.append(f"Line {number}: {value!r} is not an email address.")
                    continue
            elif not looks_like_phone(value):
                problems.append(f"Line {number}: {value!r} does not look like a phone number.")
                continue
            parsed.append((label, value))
        if problems:
            raise ValidationError(" ".join(problems))
        field.parsed = parsed


class PersonForm(FlaskForm):
    full_name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=160)])
    title = StringField(
        "Title", validators=[Optional(), Length(max=200)], description="e.g. Registrar, MPP, Policy advisor"
    )
    # Typed (the server finds the one organization of that name or acronym) or chosen by search as
    # you type, which keeps the choice in the hidden reference: no drop-down of every organization.
    organization = HiddenField()
    organization_name = StringField(
        "Organization",
        validators=[Optional(), Length(max=300)],
        render_kw={"data-party-search": "organization"},
        description="Its name or acronym; leave empty for none.",
    )
    jurisdiction = SelectField("Jurisdiction", choices=[("", "None")])
    emails = TextAreaField(
        "Emails",
        validators=[ContactLines(email=True)],
        render_kw={"rows": 2},
        description="One per line, optionally with a label: 'office: name@example.org'.",
    )
    phones = TextAreaField(
        "Phones",
        validators=[ContactLines(email=False)],
        render_kw={"rows": 2},
        description="One per line, optionally with a label: 'mobile: 416-555-0100'.",
    )
    tags = StringField("Tags", validators=[Optional(), Length(max=500)], description="Separated by ';'.")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField("Save")


def _with_scheme(value: str | None) -> str | None:
    """A web address typed without its scheme ("www.cpso.on.ca") gets https://."""
    value = (value or "").strip()
    if value and "://" not in value and "." in value and " " not in value:
        return "https://" + value
    return value or None


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organization's name."), Length(max=200)])
    acronym = StringField("Acronym", validators=[Optional(), Length(max=40)])
    kind = SelectField("Kind", choices=list(ORGANIZATION_KINDS), default="other")
    jurisdiction = SelectField("Jurisdiction", choices=[("", "None")])
    website = StringField(
        "Website",
        validators=[Optional(), Length(max=300), URL(message="Enter a web address such as https://cpso.on.ca.")],
        filters=[_with_scheme],
        description="e.g. https://cpso.on.ca or www.cpso.on.ca",
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField("Save")


class StanceForm(FlaskForm):
    ask = SelectField("Ask", choices=list(ASKS))
    position = SelectField("Position", choices=list(POSITIONS))
    as_of = DateField("As of", default=date.today, validators=[DataRequired("Enter the date of the stance.")])
    source = StringField(
        "Source",
        validators=[Optional(), Length(max=300)],
        description="Where this comes from: a meeting, a letter, a Hansard link…",
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    submit = SubmitField("Record stance")


class MergeForm(FlaskForm):
    duplicate_id = IntegerField("Duplicate", validators=[DataRequired()])


class UploadForm(FlaskForm):
    file = FileField("File (CSV or XLSX, at most 10 MB)", validators=[FileRequired("Choose a file to import.")])
    submit = SubmitField("Preview")


def look_alike_choices(data) -> dict[int, int]:
    """The Apply form's picks for new organizations that look like existing ones: fields `look_alike-<n>` holding
    "new" or an organization's id → {n: id}; anything else is refused (nothing is applied)."""
    choices = {}
    for name, value in data.items():
        if not name.startswith("look_alike-") or value == "new":
            continue
        index = name.removeprefix("look_alike-")
        if not (index.isdigit() and value.isdigit() and len(index) < 6 and len(value) < 12):
            raise Refused("file", "That choice of organization was not understood. Upload the file again.")
        choices[int(index)] = int(value)
    return choices


class ApplyUploadForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{20,64}$")])
    submit = SubmitField("Apply")
