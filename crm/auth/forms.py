"""Account forms: they check shape; rules needing the database live in services."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from crm.auth.models import ROLES
from crm.auth.passwords import MAX_LENGTH, MIN_LENGTH

EMAIL_FIELD = dict(
    validators=[
        DataRequired("Enter your email address."),
        Email("Enter an email address like name@example.com."),
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
        DataRequired("Enter your email address."),
        Regexp(r"^[^@\s]+@[^@\s]+$", message="Enter an email address like name@example.com."),
        Length(max=254),
    ]
)


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters. A long phrase is easy to remember and hard to guess.",
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", **ACCOUNT_EMAIL_FIELD)
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])
    next = HiddenField()
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", **ACCOUNT_EMAIL_FIELD)
    submit = SubmitField("Send me a reset link")


class ResendConfirmationForm(FlaskForm):
    email = EmailField("Email", **ACCOUNT_EMAIL_FIELD)
    submit = SubmitField("Send a new confirmation link")


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("password", "The two passwords do not match.")],
    )
    submit = SubmitField("Set new password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    password = new_password_field("New password")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("password", "The two passwords do not match.")],
    )
    submit = SubmitField("Change password")


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search by name or email", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[("", "Any role")] + [(r, r.title()) for r in ROLES], validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(r, r.title()) for r in ROLES])
    submit = SubmitField("Change role")


class ActiveForm(FlaskForm):
    active = BooleanField("Active")
    submit = SubmitField("Save")


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Authentication code",
        validators=[DataRequired("Enter the 6-digit code from your app."), Length(max=20)],
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )
    submit = SubmitField("Verify")


class EnableMfaForm(FlaskForm):
    code = StringField(
        "Code from your app",
        validators=[DataRequired("Enter the 6-digit code from your app."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Turn on two-step verification")


class ReauthForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])
    code = StringField(
        "Authentication code (if you use two-step verification)",
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code"},
    )
    next = HiddenField()
    submit = SubmitField("Continue")


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email", **EMAIL_FIELD)
    submit = SubmitField("Send a confirmation link to the new address")


class InviteForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter the address to invite."),
            Email("Enter an email address like name@example.com."),
            Length(max=254),
        ],
    )
    name = StringField("Name (optional)", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[(r, r.title()) for r in ROLES])
    submit = SubmitField("Send the invitation")


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    password = new_password_field("Choose a password")
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired("Repeat the password."), EqualTo("password", "The two passwords do not match.")],
    )
    submit = SubmitField("Open my account")
