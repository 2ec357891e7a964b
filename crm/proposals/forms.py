"""Forms for proposals, versions and the asks scoreboard."""

from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from crm.proposals.models import ASK_STATUSES


def _drop_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class PlainTextForm(FlaskForm):
    """Drops NUL characters from every text field: PostgreSQL refuses them in text columns."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), _drop_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


class WholeNumberField(IntegerField):
    """IntegerField that says what to type instead of 'Not a valid integer value'."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("The figure must be a whole number, like 40.")) from None


class NewProposalForm(PlainTextForm):
    jurisdiction_id = SelectField(
        _l("Province or territory"), coerce=int, validators=[DataRequired(_l("Choose a province or territory."))]
    )
    title = StringField(
        _l("Title (optional)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty for “Proposal to <province>”."),
    )
    submit = SubmitField(_l("Create proposal"))


class VersionForm(PlainTextForm):
    body = TextAreaField(
        _l("Proposal text (Markdown)"),
        validators=[Length(max=200_000)],
        description=_l("Headings with #, lists with -, links as [text](https://…). HTML is removed."),
        render_kw={"rows": 20},
    )
    change_summary = TextAreaField(
        _l("What changed since the previous version"), validators=[Length(max=5000)], render_kw={"rows": 3}
    )
    pdf = FileField(_l("PDF of this version (optional, up to 20 MB)"))
    remove_pdf = BooleanField(_l("Remove the current PDF"))
    submit = SubmitField(_l("Save draft"))


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (publish, start a new version)."""

    submit = SubmitField(_l("Confirm"))


class CompareForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: nothing changes

    old = SelectField(_l("Compare"), coerce=int)
    new = SelectField(_l("with"), coerce=int)


class AskStatusForm(PlainTextForm):
    status = SelectField(_l("Status"), choices=[(value, _l(label)) for value, label in ASK_STATUSES])
    program_name = StringField(_l("Program or measure (optional)"), validators=[Optional(), Length(max=200)])
    figure = WholeNumberField(
        _l("Figure (optional)"),
        validators=[Optional(), NumberRange(min=0, message=_l("The figure cannot be negative."))],
    )
    source_url = StringField(
        _l("Source URL (optional)"),
        validators=[Optional(), Length(max=500)],
        description=_l("A public page that shows this status, starting with https://."),
    )
    as_of = DateField(
        _l("As of"), validators=[DataRequired(_l("Enter the date this status was true."))], default=date.today
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Record status"))


def optional_id(value):
    """A picker's value: '' (or anything but a whole number) means none chosen; a number no database id can be
    reads as 0, which the service refuses with its field error (not an overflow in the query)."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else 0


class VersionField(SelectField):
    """Pick a published proposal version by its proposal's name and its number ("Proposal to Ontario" >
    "Version 2, published 2026-11-24"), never by id: "None" first, then one group per proposal (`offer`). The
    service checks the version may be cited (`presentable_version`): a hand-made value gets its field error."""

    def __init__(self, label=None, validators=None, none_label=None, **kwargs):
        super().__init__(label, validators, coerce=optional_id, validate_choice=False, **kwargs)
        self.none_label = none_label or _l("None")
        self.offer({})

    def offer(self, groups: dict[str, list[tuple[str, str]]]) -> None:
        """`groups`: proposal title -> [(version id, label)], as `services.version_groups` gives them."""
        self.choices = [SelectChoice("", self.none_label)] + [
            SelectChoice(value, label, optgroup=title)
            for title, versions in groups.items()
            for value, label in versions
        ]
