"""The admin's invitations page (invite, revoke, resend) and the invited person's link, on the auth blueprint."""

import time

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from crm.auth import invitations, throttle
from crm.auth.forms import AcceptInvitationForm, InviteForm, RoleForm
from crm.auth.models import Invitation
from crm.auth.views import _limit, bp
from crm.extensions import db
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import N_

# What a link that cannot be used says, by the invitation's status.
LINK_PROBLEMS = {
    "accepted": (
        N_("This invitation has already been used"),
        N_("The account it opened exists: log in, or reset the password if you have forgotten it."),
    ),
    "revoked": (N_("This invitation was withdrawn"), N_("Ask the person who invited you to send a new one.")),
    "expired": (
        N_("This invitation has expired"),
        N_("Invitations work for %(days)s days. Ask the person who invited you to resend it."),
    ),
    "invalid": (
        N_("This invitation link does not work"),
        N_(
            "It may be incomplete (copy the whole link from the email) or replaced by a newer invitation: use the "
            "newest email, or ask the person who invited you to resend it."
        ),
    ),
}


@bp.route("/admin/invitations", methods=["GET", "POST"])
def invitations_page():
    """Invite someone; list the invitations. An address with an account is offered a role change instead."""
    form, existing = InviteForm(), None
    if form.validate_on_submit():
        try:
            outcome = invitations.invite(
                db.session, current_user, email=form.email.data, role=form.role.data, name=form.name.data or ""
            )
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            if isinstance(outcome, invitations.AlreadyHasAccount):
                existing = outcome
            else:
                db.session.commit()
                flash(
                    gettext("Invitation sent to %(email)s as %(role)s.", email=outcome.email, role=outcome.role),
                    "success",
                )
                return redirect(url_for("auth.invitations_page"))
    role_form = RoleForm(role=existing.role) if existing else None
    return render_template(
        "auth/invitations.html",
        form=form,
        existing=existing,
        role_form=role_form,
        invitations=invitations.recent_invitations(db.session),
    )


def _change(invitation_id: int, change, done: str):
    """Revoke or resend, then back to the list with a message."""
    invitation = db.get_or_404(Invitation, invitation_id)
    try:
        change(db.session, invitation)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(gettext(done, email=invitation.email), "success")
    return redirect(url_for("auth.invitations_page"))


@bp.route("/admin/invitations/<int:invitation_id>/revoke", methods=["POST"])
def invitation_revoke(invitation_id):
    return _change(
        invitation_id, invitations.revoke, N_("The invitation to %(email)s is withdrawn: its link no longer works.")
    )


@bp.route("/admin/invitations/<int:invitation_id>/resend", methods=["POST"])
def invitation_resend(invitation_id):
    return _change(
        invitation_id,
        invitations.resend,
        N_("A new invitation is on its way to %(email)s; the earlier link no longer works."),
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def accept_invitation(token):
    """The invited person chooses a password; staff go on to set up two-step verification."""
    invitation, status = invitations.invitation_for_token(db.session, token)
    if status != "pending":
        title, advice = LINK_PROBLEMS[status]
        advice = gettext(advice, days=invitations.INVITATION_DAYS)
        return render_template("auth/invitation_problem.html", title=gettext(title), advice=advice), 410
    form = AcceptInvitationForm(name=invitation.name or None)
    if form.validate_on_submit():
        try:
            user = invitations.accept(db.session, invitation, password=form.password.data, name=form.name.data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            throttle.clear(db.session, user.email)
            db.session.commit()
            session.clear()  # a fresh session: whoever was logged in on this browser is not any more
            login_user(user)
            session["auth_at"] = time.time()  # two-step setup, next, needs a recent login
            if user.mfa_required:
                flash(
                    gettext("Your account is open. Staff accounts use two-step verification: set it up now."), "success"
                )
                return redirect(url_for("auth.mfa_setup"))
            flash(gettext("Welcome, %(name)s. Your account is open.", name=user.name), "success")
            return redirect(url_for("home.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
