"""The join form."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from crm.auth.forms import EMAIL_FIELD, new_password_field
from crm.members.models import LICENSURE_STAGES
from crm.reference.services import PostalCodeError, normalise_postal_code

PROVINCES = (
    ("ON", _l("Ontario")),
    ("AB", _l("Alberta")),
    ("BC", _l("British Columbia")),
    ("MB", _l("Manitoba")),
    ("NB", _l("New Brunswick")),
    ("NL", _l("Newfoundland and Labrador")),
    ("NS", _l("Nova Scotia")),
    ("NT", _l("Northwest Territories")),
    ("NU", _l("Nunavut")),
    ("PE", _l("Prince Edward Island")),
    ("QC", _l("Quebec")),
    ("SK", _l("Saskatchewan")),
    ("YT", _l("Yukon")),
)

# Recorded with each consent as it was shown (str() of it, in the member's language): CASL evidence.
CONSENT_WORDING = _l("Yes, ITPO may email me about its campaigns, events and programs. I can unsubscribe at any time.")


class PostalCode:
    """Validator that normalises a Canadian postal code in place."""

    def __call__(self, form, field):
        try:
            field.data = normalise_postal_code(field.data)
        except PostalCodeError as error:
            raise ValidationError(str(error)) from None


class _TrainingFields(FlaskForm):
    """What a member may tell about their training: asked at joining and editable on the profile."""

    licensure_stage = SelectField(
        _l("Where are you on the path to practice? (optional)"),
        choices=[("", _l("Prefer not to say"))] + list(LICENSURE_STAGES),
        validators=[Optional()],
    )
    training_country = StringField(
        _l("Country of medical training (optional)"), validators=[Optional(), Length(max=80)]
    )
    specialty = StringField(_l("Specialty (optional)"), validators=[Optional(), Length(max=80)])
    graduation_year = IntegerField(
        _l("Year of graduation from medical school (optional)"),
        validators=[
            Optional(),
            NumberRange(
                1950,
                date.today().year,
                _l("Enter a year between %(low)d and %(high)d.", low=1950, high=date.today().year),
            ),
        ],
    )


class JoinForm(_TrainingFields):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(_l("Email"), render_kw={"autocomplete": "email"}, **EMAIL_FIELD)
    password = new_password_field()
    postal_code = StringField(
        _l("Postal code"),
        validators=[DataRequired(_l("Enter your postal code.")), PostalCode()],
        description=_l("Used to find your MPP, e.g. M5V 3L9."),
        render_kw={"autocomplete": "postal-code"},
    )
    province = SelectField(_l("Province or territory"), choices=PROVINCES, default="ON")
    consent_email = BooleanField(CONSENT_WORDING, default=False)
    # The campaign whose page sent the visitor here (its join link carries it). Never a reason to
    # refuse the
    # form: the campaigns package checks it, and anything that is not a live campaign is ignored.
    campaign = HiddenField()
    submit = SubmitField(_l("Join ITPO"))

    def validate_province(self, field):
        from crm.reference.services import province_for_postal_code

        code = self.postal_code.data
        if code and len(code) == 7:
            expected = province_for_postal_code(code)
            if expected and code[0] != "X" and expected != field.data:
                raise ValidationError(
                    _l(
                        "That postal code is in %(province)s; choose it here, or correct the postal code.",
                        province=dict(PROVINCES)[expected],
                    )
                )


class ConsentForm(FlaskForm):
    consent_email = BooleanField(CONSENT_WORDING)
    submit = SubmitField(_l("Save my choice"))


class EraseForm(FlaskForm):
    confirm = StringField(_l("Type ERASE to confirm"), validators=[DataRequired(_l("Type ERASE to confirm."))])
    submit = SubmitField(_l("Erase my account"))

    def validate_confirm(self, field):
        if (field.data or "").strip() != "ERASE":
            raise ValidationError(_l("Type the word ERASE, in capitals, to confirm."))


class ProfileForm(_TrainingFields):
    """What a member may change about themselves; the email address changes through its own confirmed flow."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    postal_code = StringField(
        _l("Postal code"),
        validators=[DataRequired(_l("Enter your postal code.")), PostalCode()],
        description=_l("Your riding and MPP follow from it."),
        render_kw={"autocomplete": "postal-code"},
    )
    province = SelectField(_l("Province or territory"), choices=PROVINCES, default="ON")
    street_address = StringField(
        _l("Street address (optional)"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Only added to the signature of your letters, so an office can "
            "place you in the riding. Campaign leads never see it."
        ),
        render_kw={"autocomplete": "street-address"},
    )
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), Length(max=40)],
        description=_l("Only in your letters' signature, if you want an office to call you back."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    consent_email = BooleanField(CONSENT_WORDING)
    submit = SubmitField(_l("Save my profile"))

    validate_province = JoinForm.validate_province

    def validate_phone(self, field):
        digits = sum(ch.isdigit() for ch in field.data or "")
        if field.data and not 7 <= digits <= 15:
            raise ValidationError(_l("Enter a phone number with its area code, e.g. 416-555-0101."))
        if any(ch in (field.data or "") for ch in "\r\n\x00"):
            raise ValidationError(_l("Keep the phone number on one line."))
