"""Login, logout, confirmation, password reset and change, and the admin's user pages."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from crm.auth import services
from crm.auth.forms import (ActiveForm, ChangePasswordForm, ForgotPasswordForm, LoginForm, ResendConfirmationForm,
                            ResetPasswordForm, RoleForm, UserSearchForm)
from crm.auth.models import User
from crm.errors import ValidationError, apply_to_form
from crm.extensions import db, limiter, login_manager
from crm.pagination import page_args, paginate

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    """The id carries the session version; an older version means that session was ended."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _limit(name):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            db.session.commit()
            form.form_errors.append("That email and password do not match an active account.")
        elif user.email_confirmed_at is None:
            services.send_confirmation(db.session, user)
            db.session.commit()
            flash("Please confirm your email first: we have just sent you a new confirmation link.", "warning")
            return redirect(url_for("auth.login", next=safe_next(form.next.data)))
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("core.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Logging out ends every session of this user, on every device."""
    current_user.end_all_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out on every device.", "info")
    return redirect(url_for("core.index"))


@bp.route("/confirm/<token>")
def confirm(token):
    user = services.confirm_email(db.session, token)
    if user is None:
        flash("That confirmation link is invalid or has expired. Ask for a new one below.", "danger")
        return redirect(url_for("auth.resend_confirmation"))
    db.session.commit()
    flash("Thank you, your email is confirmed. You can log in now.", "success")
    next_url = safe_next(session.pop("after_confirm", None))  # back to what the member joined to do
    if current_user.is_authenticated:
        return redirect(next_url or url_for("core.home"))
    return redirect(url_for("auth.login", next=next_url))


@bp.route("/confirm", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(db.session, form.email.data)
        if user is not None and user.active and user.email_confirmed_at is None:
            services.send_confirmation(db.session, user)
            db.session.commit()
        flash("If that address has an unconfirmed account, a new link is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/resend_confirmation.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data)
        db.session.commit()
        flash("If an account uses that address, we have sent it a link to reset the password. "
              "The link works for one hour.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def reset_password(token):
    user = services.user_for_reset_token(db.session, token)
    if user is None:
        flash("That reset link is invalid, already used or expired. Ask for a new one.", "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(db.session, user, form.password.data)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            db.session.commit()
            logout_user()
            flash("Your password is changed and every other session has ended. Log in with the new password.",
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/password/change", methods=["GET", "POST"])
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
            flash("Your password is changed. Every other session has been logged out.", "success")
            return redirect(url_for("core.home"))
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
    return render_template("auth/admin_users.html", form=form, page=page, role_form=RoleForm(),
                           active_form=ActiveForm())


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
            flash(f"{user.email} is now {user.role}.", "success")
    else:
        flash("Choose one of the listed roles.", "danger")
    return redirect(url_for("auth.admin_users"))


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
            flash(f"{user.email} is now {'active' if user.active else 'deactivated; their sessions have ended'}.",
                  "success")
    return redirect(url_for("auth.admin_users"))

