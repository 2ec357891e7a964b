"""The access table: every endpoint × role, enforced in one place.

Each endpoint maps to PUBLIC (anyone, logged in or not), ANYONE_LOGGED_IN, or a tuple of roles.
An endpoint missing from this table is refused to everyone (deny by default), and a test walks
`app.url_map` so a new route cannot be added without a line here.
"""

import hmac

from flask import Response, abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user

from crm.auth.models import ADMIN_ROLES, LEAD_ROLES, STAFF_ROLES
from crm.auth.tokens import sign_next

PUBLIC = "public"
ANYONE_LOGGED_IN = "logged-in"
STAFF = STAFF_ROLES
LEADS = LEAD_ROLES
ADMIN = ADMIN_ROLES

ACCESS: dict[str, object] = {
    # framework and assets
    "static": PUBLIC,
    "bootstrap.static": PUBLIC,
    # the front page, health check and home page
    "home.index": PUBLIC,
    "ops.healthz": PUBLIC,
    "home.home": ANYONE_LOGGED_IN,
    # accounts
    "members.join": PUBLIC,
    "members.profile": ANYONE_LOGGED_IN,  # one's own profile only (current_user in the view)
    "members.my_data": ANYONE_LOGGED_IN,  # one's own data only (current_user in the view)
    "members.my_data_download": ANYONE_LOGGED_IN,
    "members.my_consent": ANYONE_LOGGED_IN,
    "members.erase_me": ANYONE_LOGGED_IN,
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,  # the EN | FR switch: a cookie for visitors, the profile for members
    "auth.logout": ANYONE_LOGGED_IN,
    "auth.confirm": PUBLIC,
    "auth.resend_confirmation": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.change_password": ANYONE_LOGGED_IN,
    "auth.login_mfa": PUBLIC,
    "auth.reauth": ANYONE_LOGGED_IN,
    "auth.mfa_setup": ANYONE_LOGGED_IN,
    "auth.recovery_codes": ANYONE_LOGGED_IN,
    "auth.change_email": ANYONE_LOGGED_IN,
    "auth.confirm_email_change": PUBLIC,
    # administration
    "auth.admin_users": ADMIN,
    "auth.admin_user_role": ADMIN,
    "auth.admin_user_active": ADMIN,
    "auth.invitations_page": ADMIN,
    "auth.invitation_revoke": ADMIN,
    "auth.invitation_resend": ADMIN,
    "auth.accept_invitation": PUBLIC,  # the signed link is the key; it works once
    # stakeholder directory (members see none of it)
    **{
        f"stakeholders.{name}": STAFF
        for name in (
            "people",
            "people_export",
            "person",
            "person_new",
            "person_edit",
            "person_archive",
            "person_stance",
            "person_merge",
            "organizations",
            "organizations_export",
            "organization",
            "organization_new",
            "organization_edit",
            "organization_archive",
            "organization_stance",
            "import_people",
        )
    },
    "stakeholders.roster_refresh": ADMIN,
    # development mailbox (registered only when DEV_MAILBOX is on)
    "outbox.dev_mailbox": PUBLIC,
    "outbox.dev_message": PUBLIC,
    # delivery: provider webhook (signature-checked), unsubscribe links (no login), admin and leads'
    # views
    "outbox.sendgrid_events": PUBLIC,
    "outbox.unsubscribe": PUBLIC,
    "outbox.admin_messages": ADMIN,
    # operations: /metrics also takes the METRICS_TOKEN bearer token (BEARER_TOKENS below)
    "ops.metrics": ADMIN,
    "ops.health_page": ADMIN,
    "outbox.admin_resend": ADMIN,
    "outbox.admin_cancel": ADMIN,
    "outbox.address_health": LEADS,
    # proposals (public: published versions only, checked in the views) and the asks scoreboard
    "proposals.public_index": PUBLIC,
    "proposals.public_version": PUBLIC,
    "proposals.print_version": PUBLIC,
    "proposals.download_pdf": PUBLIC,  # a draft's PDF only for STAFF (checked in the view)
    "proposals.scoreboard": PUBLIC,
    "proposals.committee_index": STAFF,
    "proposals.create_proposal": STAFF,
    "proposals.committee_proposal": STAFF,
    "proposals.start_version": STAFF,
    "proposals.show_version": STAFF,
    "proposals.edit_version": STAFF,
    "proposals.publish_version": STAFF,
    "proposals.compare": STAFF,
    "proposals.edit_ask_status": STAFF,
    # campaigns: the public page, the member's letter, and the lead's pages
    "campaigns.index": PUBLIC,
    "campaigns.show": PUBLIC,
    "campaigns.write": PUBLIC,  # visitors write first, then join or log in to send (checked in the view)
    "campaigns.my_letters": ANYONE_LOGGED_IN,
    "campaigns.my_letter": ANYONE_LOGGED_IN,
    "campaigns.share": ANYONE_LOGGED_IN,  # the member's own letter only (checked in the view)
    "campaigns.manage": LEADS,
    "campaigns.new": LEADS,
    "campaigns.edit": LEADS,
    "campaigns.template": LEADS,
    "campaigns.targets": LEADS,
    "campaigns.remove_target": LEADS,
    "campaigns.dashboard": LEADS,
    "campaigns.stats": LEADS,
    "campaigns.letter": LEADS,
    "similarity.campaign_similarity": LEADS,
    # mailings: segments, call-to-action mailings and who took part (leads); the action link lands
    # anyone
    **{
        f"mailings.{name}": LEADS
        for name in (
            "segments",
            "segment",
            "campaign_mailings",
            "mailing",
            "send_test",
            "send",
            "cancel",
            "participants",
            "participants_export",
            "participants_segment",
        )
    },
    "mailings.act": PUBLIC,  # signed; it leads to the letter (login still asked for), never logs anyone in
    # replies: the member's survey link (signed, no login; checked in the view), the committee's
    # reply page
    "replies.survey": PUBLIC,
    "replies.detail": STAFF,
    "replies.make_stance": STAFF,
    # interactions: the committee's log; members reach only their own #mppchats reports (checked in
    # the view)
    "interactions.index": STAFF,
    "interactions.export": STAFF,
    "interactions.new": STAFF,
    "interactions.detail": ANYONE_LOGGED_IN,
    "interactions.edit": ANYONE_LOGGED_IN,
    "interactions.archive": STAFF,
    "interactions.add_follow_up": STAFF,
    "interactions.follow_up_status": STAFF,
    "interactions.my_follow_ups": STAFF,
    "interactions.participant_search": STAFF,
    "interactions.person_timeline": STAFF,
    "interactions.organization_timeline": STAFF,
    "interactions.report_mppchat": ANYONE_LOGGED_IN,
    "interactions.my_reports": ANYONE_LOGGED_IN,
    "interactions.posts": STAFF,
    "interactions.new_post": STAFF,
    # the one search (staff bar): the directory, interactions, proposals, campaigns and members
    "search.results": STAFF,
    # audit log
    "audit.index": ADMIN,
    # member programs
    "programs.index": PUBLIC,
    "programs.program": PUBLIC,
    "programs.event": PUBLIC,
    "programs.register": ("member",),
    "programs.cancel": ("member",),
    "programs.event_calendar": ("member",),
    "programs.offer_to_speak": ("member",),
    "programs.resource_file": ANYONE_LOGGED_IN,
    "programs.manage": STAFF,
    "programs.new_event": STAFF,
    "programs.edit_event": STAFF,
    "programs.attendance": STAFF,
    "programs.import_attendance": STAFF,
    "programs.assign_speaker": STAFF,
    "programs.unassign_speaker": STAFF,
    "programs.speaker_offers": STAFF,
    "programs.review_offer": STAFF,
    "programs.resources": STAFF,
    "programs.delete_resource": STAFF,
    "programs.report": STAFF,
    # dashboards: campaign figures for leads, member evidence for all staff
    "dashboards.index": STAFF,
    "dashboards.campaign": LEADS,
    "dashboards.campaign_export": LEADS,
    "dashboards.committee_view": STAFF,
    "dashboards.committee_export": STAFF,
    "dashboards.evidence": STAFF,
    "dashboards.evidence_export": STAFF,
    # public JSON API
    "api.jurisdictions": PUBLIC,
    "api.ridings": PUBLIC,
    "api.representatives": PUBLIC,
    "api.lookup": PUBLIC,
    "api.ping": PUBLIC,
}


# Endpoints a machine may also call with "Authorization: Bearer <the setting's value>".
BEARER_TOKENS = {"ops.metrics": "METRICS_TOKEN"}


def _bearer_allowed(endpoint: str) -> bool:
    setting = BEARER_TOKENS.get(endpoint)
    expected = current_app.config.get(setting) if setting else None
    given = request.headers.get("Authorization", "")
    if not expected or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer ") :].strip().encode(), str(expected).encode())


def _bearer_answer(endpoint: str):
    """None (let in) with the right token; 401 for a visitor without it; True: a session decides, as usual."""
    if _bearer_allowed(endpoint):
        return None
    if not current_user.is_authenticated:
        return Response("A bearer token (or an admin's session) is needed.\n", 401, {"WWW-Authenticate": "Bearer"})
    return True


def allowed(endpoint: str, user) -> bool:
    """Whether `user` (possibly anonymous) may use `endpoint`."""
    rule = ACCESS.get(endpoint)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return rule == ANYONE_LOGGED_IN or user.role in rule


# What a staff member who has not set up two-step verification may still reach.
MFA_ENROLMENT_ENDPOINTS = {
    "auth.mfa_setup",
    "auth.reauth",
    "auth.logout",
    "static",
    "bootstrap.static",
    "ops.healthz",
    "home.index",
}


def enforce_access():
    """before_request: answer 401/login redirect or 403 for anything the table does not allow."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 handlers answer
        return None
    if endpoint in BEARER_TOKENS and (answer := _bearer_answer(endpoint)) is not True:
        return answer
    if allowed(endpoint, current_user):
        if (
            current_user.is_authenticated
            and current_user.mfa_required
            and not current_user.mfa_enabled
            and endpoint not in MFA_ENROLMENT_ENDPOINTS
        ):
            if request.path.startswith("/api/"):
                return jsonify(error={"code": "mfa_required", "message": "Set up two-step verification first."}), 403
            going_on = request.method == "GET" and request.endpoint != "home.home"  # home is where setup ends anyway
            target = request.full_path.rstrip("?") if going_on else None
            return redirect(url_for("auth.mfa_setup", next=sign_next(target)))
        return None
    is_api = request.path.startswith("/api/")
    if not current_user.is_authenticated and endpoint in ACCESS:
        if is_api:
            return jsonify(error={"code": "unauthorized", "message": "Log in to use this endpoint."}), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)
