"""Invitations: an admin invites a person by email with a role; the emailed link (signed, single use, 7 days)
sets their password and opens their account. Invite, revoke, resend and accept are audit-logged."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template, url_for
from flask_babel import gettext
from itsdangerous import BadData
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.services import record
from crm.auth.models import ROLES, Invitation, User
from crm.auth.services import create_user, find_user_by_email, normalise_email
from crm.auth.tokens import _serializer
from crm.lib.errors import ValidationError
from crm.lib.i18n import in_language
from crm.outbox.services import queue_message

INVITATION_DAYS = 7
_PURPOSE = "invitation"


@dataclass
class AlreadyHasAccount:
    """The invited address has an account: the admin is offered a role change instead."""

    user: User
    role: str


def invite(session: Session, actor: User, *, email: str, role: str, name: str = "") -> Invitation | AlreadyHasAccount:
    """Invite `email` with `role` and queue the email; an existing account is answered, not invited again."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError("role", gettext("Role must be one of: %(join)s.", join=", ".join(ROLES)))
    user = find_user_by_email(session, email)
    if user is not None:
        return AlreadyHasAccount(user, role)
    if any(invitation.status == "pending" for invitation in invitations_to(session, email)):
        raise ValidationError(
            "email", gettext("An invitation to this address is waiting to be accepted: resend it below.")
        )
    invitation = Invitation(email=email, name=name.strip(), role=role, invited_by_id=actor.id, nonce="", sent_at=_now())
    session.add(invitation)
    _send(session, invitation)
    record(session, "invite", "invitations", invitation.id, {"email": email, "role": role})
    return invitation


def invitations_to(session: Session, email: str) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(Invitation.email == normalise_email(email))))


def recent_invitations(session: Session, limit: int = 100) -> list[Invitation]:
    """The newest invitations first, for the admin's list."""
    return list(
        session.scalars(select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit))
    )


def revoke(session: Session, invitation: Invitation) -> None:
    """Withdraw a pending invitation: its link stops working."""
    if invitation.status in ("accepted", "revoked"):
        raise ValidationError(
            None,
            gettext(
                "The invitation to %(email)s is already %(status)s.", email=invitation.email, status=invitation.status
            ),
        )
    invitation.revoked_at = _now()
    record(session, "revoke", "invitations", invitation.id, {"email": invitation.email})
    session.flush()


def resend(session: Session, invitation: Invitation) -> None:
    """Send a new link (the old one stops working) valid for another 7 days; a revoked one is invited again."""
    if invitation.status == "accepted":
        raise ValidationError(
            None, gettext("%(email)s has already accepted; they can reset their password.", email=invitation.email)
        )
    if find_user_by_email(session, invitation.email) is not None:
        raise ValidationError(
            None, gettext("%(email)s has an account now: change their role on the users page.", email=invitation.email)
        )
    invitation.revoked_at = None
    _send(session, invitation)
    record(session, "resend", "invitations", invitation.id, {"email": invitation.email})


def _send(session: Session, invitation: Invitation) -> None:
    """Draw a new nonce, restart the 7 days and queue the email with the link."""
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at = _now()
    invitation.expires_at = invitation.sent_at + timedelta(days=INVITATION_DAYS)
    session.flush()
    token = _serializer(_PURPOSE).dumps({"id": invitation.id, "n": invitation.nonce})
    with in_language(None):  # the invited person has no language yet: English (issue 25), whatever the admin's
        text = render_template(
            "email/invitation.txt",
            invitation=invitation,
            link=url_for("auth.accept_invitation", token=token, _external=True),
            days=INVITATION_DAYS,
            staff=invitation.role != "member",
        )
        subject = gettext("You are invited to the ITPO CRM")
    queue_message(session, kind="invitation", to=invitation.email, subject=subject, text=text)


def invitation_for_token(session: Session, token: str) -> tuple[Invitation | None, str]:
    """The invitation a link names and its status (pending, accepted, revoked, expired), or (None, "invalid")
    for a forged, garbled or superseded link."""
    try:
        data = _serializer(_PURPOSE).loads(token[:1000])
    except BadData:  # forged, garbled or cut short
        return None, "invalid"
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("n"), str):
        return None, "invalid"
    invitation = session.get(Invitation, data["id"])
    if invitation is None or not secrets.compare_digest(invitation.nonce, data["n"]):
        return None, "invalid"
    return invitation, invitation.status


def accept(session: Session, invitation: Invitation, *, password: str, name: str = "") -> User:
    """Open the account the invitation offers (confirmed: the link proved the address); once only."""
    if invitation.status != "pending":
        raise ValidationError(None, gettext("This invitation is %(status)s.", status=invitation.status))
    user = create_user(
        session,
        email=invitation.email,
        password=password,
        role=invitation.role,
        confirmed=True,
        name=name or invitation.name,
    )
    invitation.accepted_at = _now()
    invitation.user_id = user.id
    record(session, "accept", "invitations", invitation.id, {"email": invitation.email, "user_id": user.id})
    session.flush()
    return user


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)
