"""Account forms: they check shape; rules needing the database live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from crm.auth.models import ROLES
from crm.auth.passwords import MAX_LENGTH, MIN_LENGTH

EMAIL_FIELD = dict(
    validators=[
        DataRequired(_l("Enter your email address.")),
        Email(_l("Enter an email address like name@example.com.")),
        Length(max=254),
    ]
)
# Forms that look an existing account up (log in, reset, resend) only check that the address has an
# @: an
# account may have an address that the stricter check refuses, such as the local admin `make run`
# creates
# (admin@itpo.local: `.local` is a special-use domain), and refusing it there would lock that
# account out.
ACCOUNT_EMAIL_FIELD = dict(
    validators=[
        DataRequired(_l("Enter your email address.")),
        Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address like name@example.com.")),
        Length(max=254),
    ]
)


def new_password_field(label: str = _l("Password")) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=_l("Use %(low)d to %(high)d characters.", low=MIN_LENGTH, high=MAX_LENGTH),
            ),
        ],
        description=_l(
            "At least %(low)d characters. A long phrase is easy to remember and hard to guess.", low=MIN_LENGTH
        ),
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), **ACCOUNT_EMAIL_FIELD)
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)]
    )
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), **ACCOUNT_EMAIL_FIELD)
    submit = SubmitField(_l("Send me a reset link"))


class ResendConfirmationForm(FlaskForm):
    email = EmailField(_l("Email"), **ACCOUNT_EMAIL_FIELD)
    submit = SubmitField(_l("Send a new confirmation link"))


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Change password"))


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=120)])
    role = SelectField(
        _l("Role"), choices=[("", _l("Any role"))] + [(r, r.title()) for r in ROLES], validators=[Optional()]
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r, r.title()) for r in ROLES])
    submit = SubmitField(_l("Change role"))


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Authentication code"),
        validators=[DataRequired(_l("Enter the 6-digit code from your app.")), Length(max=20)],
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )
    submit = SubmitField(_l("Verify"))


class EnableMfaForm(FlaskForm):
    code = StringField(
        _l("Code from your app"),
        validators=[DataRequired(_l("Enter the 6-digit code from your app.")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on two-step verification"))


class ReauthForm(FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)]
    )
    code = StringField(
        _l("Authentication code (if you use two-step verification)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Continue"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email"), **EMAIL_FIELD)
    submit = SubmitField(_l("Send a confirmation link to the new address"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter the address to invite.")),
            Email(_l("Enter an email address like name@example.com.")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r, r.title()) for r in ROLES])
    submit = SubmitField(_l("Send the invitation"))


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=120)])
    password = new_password_field(_l("Choose a password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Open my account"))
