"""The join form."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from crm.auth.forms import EMAIL_FIELD, new_password_field
from crm.members.models import LICENSURE_STAGES
from crm.reference.services import PostalCodeError, normalise_postal_code

PROVINCES = (
    ("ON", "Ontario"),
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
)

CONSENT_WORDING = "Yes, ITPO may email me about its campaigns, events and programs. I can unsubscribe at any time."


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
        "Where are you on the path to practice? (optional)",
        choices=[("", "Prefer not to say")] + list(LICENSURE_STAGES),
        validators=[Optional()],
    )
    training_country = StringField("Country of medical training (optional)", validators=[Optional(), Length(max=80)])
    specialty = StringField("Specialty (optional)", validators=[Optional(), Length(max=80)])
    graduation_year = IntegerField(
        "Year of graduation from medical school (optional)",
        validators=[
            Optional(),
            NumberRange(1950, date.today().year, f"Enter a year between 1950 and {date.today().year}."),
        ],
    )


class JoinForm(_TrainingFields):
    full_name = StringField(
        "Full name", validators=[DataRequired("Enter your name."), Length(max=120)], render_kw={"autocomplete": "name"}
    )
    email = EmailField("Email", render_kw={"autocomplete": "email"}, **EMAIL_FIELD)
    password = new_password_field()
    postal_code = StringField(
        "Postal code",
        validators=[DataRequired("Enter your postal code."), PostalCode()],
        description="Used to find your MPP, e.g. M5V 3L9.",
        render_kw={"autocomplete": "postal-code"},
    )
    province = SelectField("Province or territory", choices=PROVINCES, default="ON")
    consent_email = BooleanField(CONSENT_WORDING, default=False)
    # The campaign whose page sent the visitor here (its join link carries it). Never a reason to
    # refuse the
    # form: the campaigns package checks it, and anything that is not a live campaign is ignored.
    campaign = HiddenField()
    submit = SubmitField("Join ITPO")

    def validate_province(self, field):
        from crm.reference.services import province_for_postal_code

        code = self.postal_code.data
        if code and len(code) == 7:
            expected = province_for_postal_code(code)
            if expected and code[0] != "X" and expected != field.data:
                raise ValidationError(
                    f"That postal code is in {dict(PROVINCES)[expected]}; choose it here, or correct the postal code."
                )


class ConsentForm(FlaskForm):
    consent_email = BooleanField(CONSENT_WORDING)
    submit = SubmitField("Save my choice")


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", validators=[DataRequired("Type ERASE to confirm.")])
    submit = SubmitField("Erase my account")

    def validate_confirm(self, field):
        if (field.data or "").strip() != "ERASE":
            raise ValidationError("Type the word ERASE, in capitals, to confirm.")


class ProfileForm(_TrainingFields):
    """What a member may change about themselves; the email address changes through its own confirmed flow."""

    full_name = StringField(
        "Full name", validators=[DataRequired("Enter your name."), Length(max=120)], render_kw={"autocomplete": "name"}
    )
    postal_code = StringField(
        "Postal code",
        validators=[DataRequired("Enter your postal code."), PostalCode()],
        description="Your riding and MPP follow from it.",
        render_kw={"autocomplete": "postal-code"},
    )
    province = SelectField("Province or territory", choices=PROVINCES, default="ON")
    street_address = StringField(
        "Street address (optional)",
        validators=[Optional(), Length(max=200)],
        description="Only added to the signature of your letters, so an office can "
        "place you in the riding. Campaign leads never see it.",
        render_kw={"autocomplete": "street-address"},
    )
    phone = StringField(
        "Phone (optional)",
        validators=[Optional(), Length(max=40)],
        description="Only in your letters' signature, if you want an office to call you back.",
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    consent_email = BooleanField(CONSENT_WORDING)
    submit = SubmitField("Save my profile")

    validate_province = JoinForm.validate_province

    def validate_phone(self, field):
        digits = sum(ch.isdigit() for ch in field.data or "")
        if field.data and not 7 <= digits <= 15:
            raise ValidationError("Enter a phone number with its area code, e.g. 416-555-0101.")
        if any(ch in (field.data or "") for ch in "\r\n\x00"):
            raise ValidationError("Keep the phone number on one line.")
