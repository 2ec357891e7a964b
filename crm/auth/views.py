"""Login, logout, confirmation, password reset and change, and the admin's user pages."""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from crm.auth import mfa, services, throttle
from crm.auth.forms import (
    ActiveForm,
    ChangeEmailForm,
    ChangePasswordForm,
    EnableMfaForm,
    ForgotPasswordForm,
    LoginForm,
    ReauthForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    RoleForm,
    SecondFactorForm,
    UserSearchForm,
)
from crm.auth.models import User
from crm.auth.passwords import verify_password
from crm.auth.signals import email_confirmed
from crm.auth.tokens import read_next, sign_next
from crm.extensions import db, limiter
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import COOKIE, COOKIE_AGE, DEFAULT, normalise
from crm.lib.pagination import page_args, paginate

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _signed_next_field() -> str:
    """The signed `next` a two-step page was given (its form posts it back; the link carried it)."""
    return (request.form.get("next") or request.args.get("next") or "")[:4096]


def signed_next() -> str | None:
    """Where a two-step page should lead: the signed `next`, checked again as a same-site path."""
    return safe_next(read_next(_signed_next_field()))


def _limit(name):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


def _throttled(email: str, form, template: str, **context):
    """The form again with a 429 when this account must wait (crm/auth/throttle.py); None when it may try."""
    wait = throttle.seconds_to_wait(db.session, email)
    if not wait:
        return None
    form.form_errors.append(throttle.refusal(wait))
    response = make_response(render_template(template, form=form, **context), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    form = LoginForm(next=request.args.get("next", ""), email=request.args.get("email", "")[:254])
    if form.validate_on_submit():
        if refused := _throttled(form.email.data, form, "auth/login.html"):
            return refused
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            throttle.record_failure(db.session, form.email.data)
            db.session.commit()
            form.form_errors.append("That email and password do not match an active account.")
        elif user.email_confirmed_at is None:
            services.send_confirmation(db.session, user)
            db.session.commit()
            flash(gettext("Please confirm your email first: we have just sent you a new confirmation link."), "warning")
            return redirect(url_for("auth.login", next=safe_next(form.next.data)))
        elif user.mfa_enabled:
            db.session.commit()
            session.clear()
            next_url = safe_next(form.next.data)
            session["mfa_pending"] = {"uid": user.id, "v": user.session_version, "at": time.time(), "next": next_url}
            return redirect(url_for("auth.login_mfa", next=sign_next(next_url)))
        else:
            throttle.clear(db.session, user.email)
            db.session.commit()
            return _complete_login(user, safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


MFA_PENDING_SECONDS = 300
RECENT_AUTH_SECONDS = 600


def _complete_login(user, next_url):
    session.clear()  # a fresh session: no fixation
    login_user(user)
    session["auth_at"] = time.time()
    flash(gettext("Welcome, %(name)s.", name=user.name), "success")
    return redirect(next_url or url_for("home.home"))


@bp.route("/login/verify", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def login_mfa():
    """The second step of logging in, for accounts with two-step verification."""
    pending = session.get("mfa_pending")
    user = db.session.get(User, pending["uid"]) if pending else None
    if (
        user is None
        or user.session_version != pending["v"]
        or not user.active
        or time.time() - pending["at"] > MFA_PENDING_SECONDS
    ):
        session.pop("mfa_pending", None)
        flash(gettext("Please log in again."), "info")
        return redirect(url_for("auth.login", next=signed_next()))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if refused := _throttled(user.email, form, "auth/login_mfa.html"):
            return refused
        if mfa.verify_second_factor(db.session, user, form.code.data):
            throttle.clear(db.session, user.email)
            db.session.commit()
            return _complete_login(user, signed_next() or pending.get("next"))
        throttle.record_failure(db.session, user.email)
        db.session.commit()
        form.code.errors = ["That code is not valid (or was already used). Try the newest code from your app."]
    return render_template("auth/login_mfa.html", form=form, next_token=_signed_next_field())


def recent_auth_required(view):
    """Changing email, password or the second factor needs a login (or re-check) in the last 10 minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if time.time() - session.get("auth_at", 0) > RECENT_AUTH_SECONDS:
            return redirect(url_for("auth.reauth", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/account/confirm-identity", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def reauth():
    form = ReauthForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if refused := _throttled(user.email, form, "auth/reauth.html", needs_code=user.mfa_enabled):
            return refused
        ok = verify_password(user.password_hash, form.password.data)
        if ok and user.mfa_enabled:
            ok = mfa.verify_second_factor(db.session, user, form.code.data or "")
        (throttle.clear if ok else throttle.record_failure)(db.session, user.email)
        db.session.commit()
        if ok:
            session["auth_at"] = time.time()
            return redirect(safe_next(form.next.data) or url_for("home.home"))
        form.form_errors.append("That password or code is not right.")
    return render_template("auth/reauth.html", form=form, needs_code=current_user.mfa_enabled)


@bp.route("/account/two-step", methods=["GET", "POST"])
@recent_auth_required
def mfa_setup():
    """Turn on (or reset) two-step verification: scan, confirm a code, keep the recovery codes."""
    if request.method == "GET" or "mfa_new_secret" not in session:
        session["mfa_new_secret"] = mfa.new_secret()
    secret = session["mfa_new_secret"]
    form = EnableMfaForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        codes = mfa.enable(db.session, user, secret, form.code.data)
        if codes is None:
            form.code.errors = ["That code does not match. Check the time on your phone and try the newest code."]
        else:
            db.session.commit()
            session.pop("mfa_new_secret", None)
            login_user(user)  # the session version changed: keep this device logged in
            session["auth_at"] = time.time()
            return render_template("auth/recovery_codes.html", codes=codes, continue_to=signed_next())
    uri = mfa.provisioning_uri(secret, current_user.email)
    return render_template(
        "auth/mfa_setup.html",
        form=form,
        next_token=_signed_next_field(),
        secret=secret,
        qr=mfa.qr_svg_data_uri(uri),
        remaining=mfa.remaining_recovery_codes(db.session, current_user),
    )


@bp.route("/account/recovery-codes", methods=["POST"])
@recent_auth_required
def recovery_codes():
    if not current_user.mfa_enabled:
        return redirect(url_for("auth.mfa_setup"))
    codes = mfa.issue_recovery_codes(db.session, current_user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/account/email", methods=["GET", "POST"])
@recent_auth_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(db.session, current_user, form.email.data)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(
                gettext("We have sent a confirmation link to the new address. Your email changes when you open it."),
                "info",
            )
            return redirect(url_for("home.home"))
    return render_template("auth/change_email.html", form=form)


@bp.route("/account/email/<token>")
def confirm_email_change(token):
    user = services.confirm_email_change(db.session, token)
    if user is None:
        flash(gettext("That link is invalid, expired, or the address is taken now."), "danger")
        return redirect(url_for("home.index"))
    db.session.commit()
    logout_user()
    flash(gettext("Your email address is changed. Log in with the new address."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    """The EN | FR switch: kept in a cookie (and on a member's profile), then back to the same page."""
    language = normalise(request.form.get("lang")) or DEFAULT
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(COOKIE, language, max_age=COOKIE_AGE, samesite="Lax", secure=request.is_secure, httponly=True)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    """Logging out ends every session of this user, on every device."""
    current_user.end_all_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You have logged out on every device."), "info")
    return redirect(url_for("home.index"))


@bp.route("/confirm/<token>")
def confirm(token):
    """Confirm the address, let listeners act on it (a waiting letter is sent), and go back where the member was."""
    user = services.confirm_email(db.session, token)
    if user is None:
        flash(gettext("That confirmation link is invalid or has expired. Ask for a new one below."), "danger")
        return redirect(url_for("auth.resend_confirmation"))
    answers = [
        answer
        for _, answer in email_confirmed.send(current_app._get_current_object(), session=db.session, user=user)
        if answer
    ]
    db.session.commit()
    flash(gettext("Thank you, your email is confirmed."), "success")
    for answer in answers:
        flash(answer["message"], answer.get("category", "info"))
    next_url = safe_next(
        next((a["next"] for a in answers if a.get("next")), None)
        or services.confirmation_next(token)
        or session.pop("after_confirm", None)
    )
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.home"))
    return redirect(url_for("auth.login", next=next_url, email=user.email))


@bp.route("/confirm", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(db.session, form.email.data)
        if user is not None and user.active and user.email_confirmed_at is None:
            services.send_confirmation(db.session, user)
            db.session.commit()
        flash(gettext("If that address has an unconfirmed account, a new link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/resend_confirmation.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data)
        db.session.commit()
        flash(
            gettext(
                "If an account uses that address, we have sent it a link to reset the password. "
                "The link works for one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def reset_password(token):
    user = services.user_for_reset_token(db.session, token)
    if user is None:
        flash(gettext("That reset link is invalid, already used or expired. Ask for a new one."), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(db.session, user, form.password.data)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            throttle.clear(db.session, user.email)
            db.session.commit()
            logout_user()
            flash(
                gettext("Your password is changed and every other session has ended. Log in with the new password."),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/password/change", methods=["GET", "POST"])
@recent_auth_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current_password.data, form.password.data)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this device stays logged in; the others end
            session["auth_at"] = time.time()
            flash(gettext("Your password is changed. Every other session has been logged out."), "success")
            return redirect(url_for("home.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/admin/users")
def admin_users():
    form = UserSearchForm(request.args)
    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError:
        limit, offset = 50, 0
    stmt = services.search_users(form.q.data if form.validate() else None, form.role.data)
    page = paginate(db.session, stmt, limit=limit, offset=offset)
    return render_template(
        "auth/admin_users.html",
        form=form,
        page=page,
        role_form=RoleForm(),
        active_form=ActiveForm(),
        list_args=_list_args(),
    )


# The users page's search, filter and page, carried through a role or status change and back.
LIST_ARGS = ("q", "role", "page", "limit", "offset")


def _list_args() -> dict[str, str]:
    return {name: request.args[name][:200] for name in LIST_ARGS if request.args.get(name)}


def _back_to_users():
    return redirect(url_for("auth.admin_users", **_list_args()))


def _admin_target(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
def admin_user_role(user_id):
    user = _admin_target(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.set_role(db.session, current_user, user, form.role.data)
        except ValidationError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("%(email)s is now %(role)s.", email=user.email, role=user.role), "success")
    else:
        flash(gettext("Choose one of the listed roles."), "danger")
    return _back_to_users()


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
def admin_user_active(user_id):
    user = _admin_target(user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            services.set_active(db.session, current_user, user, form.active.data)
        except ValidationError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(
                gettext("%(email)s is now active.", email=user.email)
                if user.active
                else gettext("%(email)s is now deactivated; their sessions have ended.", email=user.email),
                "success",
            )
    return _back_to_users()
