"""Directory forms: filters, person and organization edits, stances, merge, import uploads."""

from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp, ValidationError

from crm.lib.errors import ValidationError as Refused
from crm.stakeholders.models import ASKS, ORGANIZATION_KINDS, POSITIONS, looks_like_phone

ANY = [("", _l("Any"))]
STATUSES = [("", _l("Any")), ("current", _l("Current elected office")), ("former", _l("Former elected office"))]
PEOPLE_SORTS = [
    ("name", _l("Name A–Z")),
    ("-name", _l("Name Z–A")),
    ("organization", _l("Organization")),
    ("newest", _l("Newest")),
]
ORGANIZATION_SORTS = [
    ("name", _l("Name A–Z")),
    ("-name", _l("Name Z–A")),
    ("kind", _l("Kind")),
    ("newest", _l("Newest")),
]


def _translated(pairs) -> list[tuple[str, str]]:
    """A constant's (value, label) pairs, the labels (marked N_ where they are defined) in the page's language."""
    return [(value, _l(label)) for value, label in pairs]


class _FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Organization kind"), choices=ANY + _translated(ORGANIZATION_KINDS), validate_choice=True)
    jurisdiction = SelectField(_l("Jurisdiction"), choices=ANY)
    ask = SelectField(_l("Stance on"), choices=ANY + _translated(ASKS))
    position = SelectField(_l("Stance"), choices=ANY + _translated(POSITIONS))


class PeopleFilterForm(_FilterForm):
    party = SelectField(_l("Party"), choices=ANY)
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
    status = SelectField(_l("Office"), choices=STATUSES)
    organization = IntegerField(_l("Organization"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=PEOPLE_SORTS)


class OrganizationFilterForm(_FilterForm):
    sort = SelectField(_l("Sort by"), choices=ORGANIZATION_SORTS)


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
                    problems.append(
                        gettext("Line %(number)s: %(value)s is not an email address.", number=number, value=repr(value))
                    )
                    continue
            elif not looks_like_phone(value):
                problems.append(
                    gettext(
                        "Line %(number)s: %(value)s does not look like a phone number.",
                        number=number,
                        value=repr(value),
                    )
                )
                continue
            parsed.append((label, value))
        if problems:
            raise ValidationError(" ".join(problems))
        field.parsed = parsed


class PersonForm(FlaskForm):
    full_name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=160)])
    title = StringField(
        _l("Title"), validators=[Optional(), Length(max=200)], description=_l("e.g. Registrar, MPP, Policy advisor")
    )
    # Typed (the server finds the one organization of that name or acronym) or chosen by search as
    # you type, which keeps the choice in the hidden reference: no drop-down of every organization.
    organization = HiddenField()
    organization_name = StringField(
        _l("Organization"),
        validators=[Optional(), Length(max=300)],
        render_kw={"data-party-search": "organization"},
        description=_l("Its name or acronym; leave empty for none."),
    )
    jurisdiction = SelectField(_l("Jurisdiction"), choices=[("", _l("None"))])
    emails = TextAreaField(
        _l("Emails"),
        validators=[ContactLines(email=True)],
        render_kw={"rows": 2},
        description=_l("One per line, optionally with a label: 'office: name@example.org'."),
    )
    phones = TextAreaField(
        _l("Phones"),
        validators=[ContactLines(email=False)],
        render_kw={"rows": 2},
        description=_l("One per line, optionally with a label: 'mobile: 416-555-0100'."),
    )
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)], description=_l("Separated by ';'."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Save"))


def _with_scheme(value: str | None) -> str | None:
    """A web address typed without its scheme ("www.cpso.on.ca") gets https://."""
    value = (value or "").strip()
    if value and "://" not in value and "." in value and " " not in value:
        return "https://" + value
    return value or None


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the organization's name.")), Length(max=200)])
    acronym = StringField(_l("Acronym"), validators=[Optional(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=_translated(ORGANIZATION_KINDS), default="other")
    jurisdiction = SelectField(_l("Jurisdiction"), choices=[("", _l("None"))])
    website = StringField(
        _l("Website"),
        validators=[Optional(), Length(max=300), URL(message=_l("Enter a web address such as https://cpso.on.ca."))],
        filters=[_with_scheme],
        description=_l("e.g. https://cpso.on.ca or www.cpso.on.ca"),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Save"))


class StanceForm(FlaskForm):
    ask = SelectField(_l("Ask"), choices=_translated(ASKS))
    position = SelectField(_l("Position"), choices=_translated(POSITIONS))
    as_of = DateField(_l("As of"), default=date.today, validators=[DataRequired(_l("Enter the date of the stance."))])
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=300)],
        description=_l("Where this comes from: a meeting, a letter, a Hansard link…"),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Record stance"))


class MergeForm(FlaskForm):
    duplicate_id = IntegerField(_l("Duplicate"), validators=[DataRequired()])


class UploadForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX, at most 10 MB)"), validators=[FileRequired(_l("Choose a file to import."))])
    submit = SubmitField(_l("Preview"))


def look_alike_choices(data) -> dict[int, int]:
    """The Apply form's picks for new organizations that look like existing ones: fields `look_alike-<n>` holding
    "new" or an organization's id → {n: id}; anything else is refused (nothing is applied)."""
    choices = {}
    for name, value in data.items():
        if not name.startswith("look_alike-") or value == "new":
            continue
        index = name.removeprefix("look_alike-")
        if not (index.isdigit() and value.isdigit() and len(index) < 6 and len(value) < 12):
            raise Refused("file", gettext("That choice of organization was not understood. Upload the file again."))
        choices[int(index)] = int(value)
    return choices


class ApplyUploadForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{20,64}$")])
    submit = SubmitField(_l("Apply"))
