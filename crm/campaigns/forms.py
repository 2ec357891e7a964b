"""Campaign forms: they check shape; rules needing the database live in services."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from crm.campaigns.models import BLOCK_KINDS, CAMPAIGN_KINDS, CAMPAIGN_STATUSES, LETTER_DELIVERIES, MPP_ADDRESSES
from crm.campaigns.services import MAX_BLOCK_CHARS
from crm.lib.i18n import form_translations
from crm.members.forms import PostalCode
from crm.proposals.forms import VersionField


def _translated(pairs) -> list[tuple[str, str]]:
    """A constant's (value, label) pairs, the labels (marked N_ where they are defined) in the page's language."""
    return [(value, _l(label)) for value, label in pairs]


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the campaign a name.")), Length(max=160)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=80)],
        description=_l("Lower-case letters, digits and dashes; made from the name if left empty."),
    )
    hashtag = StringField(_l("Hashtag"), validators=[Optional(), Length(max=60)], description=_l("e.g. #skillstohelp"))
    summary = TextAreaField(
        _l("Call to action"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Plain text shown on the public campaign page."),
    )
    kind = SelectField(_l("Kind"), choices=_translated(CAMPAIGN_KINDS))
    jurisdiction_id = SelectField(
        _l("Legislature"),
        coerce=int,
        description=_l(
            "Members write to their own representative there. Ontario's MPPs ship with ITPO's CRM; the "
            "others come from Open North's Represent directory as members look them up."
        ),
    )
    mpp_address = SelectField(_l("Address to use for representatives"), choices=_translated(MPP_ADDRESSES))
    letter_delivery = SelectField(
        _l("How letters reach each office"),
        choices=_translated(LETTER_DELIVERIES),
        default="one_by_one",
        description=_l(
            "Some offices ask for a daily digest: then each office gets one email a day (sent after "
            "midnight, Toronto time) with every letter written to it that day, in full with its signature."
        ),
    )
    goal_letters = IntegerField(_l("Goal: letters"), validators=[Optional(), NumberRange(1, 1_000_000)])
    goal_ridings = IntegerField(_l("Goal: ridings reached"), validators=[Optional(), NumberRange(1, 1000)])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=_translated(CAMPAIGN_STATUSES))
    proposal_version_id = VersionField(
        _l("Proposal version it cites (optional)"),
        description=_l("Published versions, by proposal. The letter template can quote it."),
    )
    submit = SubmitField(_l("Save campaign"))


class BlockForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=_translated(BLOCK_KINDS))
    label = StringField(_l("Label shown to the member (optional)"), validators=[Optional(), Length(max=120)])
    body = TextAreaField(
        _l("Text"),
        validators=[Length(max=MAX_BLOCK_CHARS)],
        description=_l("Placeholders in {{ double braces }}; for a personal block, a prompt."),
    )
    min_length = IntegerField(
        _l("Minimum length (personal blocks)"), default=0, validators=[Optional(), NumberRange(0, MAX_BLOCK_CHARS)]
    )


class TemplateForm(FlaskForm):
    language = SelectField(
        _l("Language of this letter"), choices=[("en", _l("English")), ("fr", _l("French"))], default="en"
    )
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Write a subject.")), Length(max=300)])
    blocks = FieldList(FormField(BlockForm), min_entries=1, max_entries=30)
    add_block = SubmitField(_l("Add a block"))
    submit = SubmitField(_l("Save as a new version"))


class TargetForm(FlaskForm):
    """The person is typed (the server finds the one of that name) or chosen by search as you type (interactions.js),
    which fills the hidden reference."""

    person = HiddenField()
    person_name = StringField(
        _l("Person"),
        validators=[DataRequired(_l("Type the person's name and choose them.")), Length(max=300)],
        render_kw={"data-party-search": "person"},
    )
    email = StringField(
        _l("Email (optional: else their known address)"),
        validators=[Optional(), Email(_l("Enter an email address.")), Length(max=254)],
    )
    submit = SubmitField(_l("Add target"))


class PostalCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    postal_code = StringField(
        _l("Your postal code"),
        validators=[DataRequired(_l("Enter your postal code.")), PostalCode()],
        render_kw={"autocomplete": "postal-code", "inputmode": "text"},
    )
    submit = SubmitField(_l("Find my representative"))


class LetterForm(FlaskForm):
    """The member's letter: hidden recipient, and one text per editable or personal block (added in the view).
    Its CSRF token is checked once, by CSRFProtect before the view, and written by the page (design notes)."""

    class Meta(FlaskForm.Meta):
        csrf = False

        def get_translations(self, form):
            """Built on every send: WTForms' messages from the per-process catalogue, not read from disk again."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return form_translations()

    recipient = HiddenField()
    postal_code = StringField(
        _l("Your postal code (for your signature: your MPP's office checks it)"),
        validators=[Optional(), PostalCode()],
        render_kw={"autocomplete": "postal-code", "inputmode": "text"},
    )
    save_riding = BooleanField(_l("Save this riding to my profile"))
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send my letter"))


class EmptyForm(FlaskForm):
    """A POST with only a CSRF token."""
