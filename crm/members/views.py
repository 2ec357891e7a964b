"""Joining ITPO (membership is free)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user

from crm.auth.loader import register_joined_with_user
from crm.auth.views import recent_auth_required, safe_next
from crm.extensions import db, limiter
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import current_language
from crm.members import services
from crm.members.forms import CONSENT_WORDING, JoinForm

bp = Blueprint("members", __name__)
register_joined_with_user("profile")  # the letter page, the profile and most member pages read it


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["JOIN_RATE_LIMIT"], methods=["POST"])
def join():
    next_url = safe_next(request.args.get("next"))  # e.g. the campaign letter the member came to write
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.home"))
    form = JoinForm(campaign=request.args.get("campaign", ""))
    if form.validate_on_submit():
        try:
            services.join(
                db.session,
                full_name=form.full_name.data.strip(),
                email=form.email.data,
                password=form.password.data,
                postal_code=form.postal_code.data,
                province=form.province.data,
                consent_email=form.consent_email.data,
                consent_wording=str(CONSENT_WORDING),
                ip_address=request.remote_addr,
                licensure_stage=form.licensure_stage.data,
                training_country=form.training_country.data,
                specialty=form.specialty.data,
                graduation_year=form.graduation_year.data,
                campaign=form.campaign.data or None,
                next_url=next_url,
                pending=request.args.get("pending"),
                language=current_language(),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Welcome to ITPO! We have sent you an email: open the link in it to confirm your address, "
                    "then log in."
                ),
                "success",
            )
            if next_url:
                session["after_confirm"] = next_url
            return redirect(url_for("auth.login", next=next_url) if next_url else url_for("auth.login"))
    return render_template("members/join.html", form=form, next_url=next_url)


@bp.route("/account/profile", methods=["GET", "POST"])
def profile():
    """A member edits what they told ITPO; a new postal code moves their riding, and the page says so."""
    from crm.members.forms import ProfileForm
    from crm.members.privacy import current_consent, record_consent

    user = current_user._get_current_object()
    data = {name: getattr(user.profile, name, None) for name in services.PROFILE_FIELDS}
    form = ProfileForm(data={**data, "full_name": user.name, "consent_email": current_consent(db.session, user.id)})
    if form.validate_on_submit():
        district = services.update_profile(
            db.session,
            user,
            full_name=form.full_name.data,
            **{name: getattr(form, name).data for name in services.PROFILE_FIELDS},
        )
        if form.consent_email.data != current_consent(db.session, user.id):
            record_consent(
                db.session,
                user,
                granted=form.consent_email.data,
                wording=str(CONSENT_WORDING),
                wording_version=current_app.config["CONSENT_WORDING_VERSION"],
                source="profile_page",
                ip_address=request.remote_addr,
            )
        mpp = services.representative_name(db.session, district.id) if district else None
        db.session.commit()
        flash(gettext("Your profile is saved."), "success")
        if district is not None:
            if mpp:
                flash(
                    gettext("Your riding is now %(riding)s; your MPP is %(mpp)s.", riding=district.name, mpp=mpp),
                    "info",
                )
            else:
                flash(gettext("Your riding is now %(riding)s.", riding=district.name), "info")
        return redirect(url_for("members.profile"))
    return render_template("members/profile.html", form=form, profile=user.profile)


# --- your data: export, consent, erasure (PIPEDA practice, CASL records)
# -----------------------------


@bp.route("/account/data")
def my_data():
    from crm.members.forms import ConsentForm, EraseForm
    from crm.members.privacy import current_consent

    consent_form = ConsentForm(consent_email=current_consent(db.session, current_user.id))
    return render_template("members/my_data.html", consent_form=consent_form, erase_form=EraseForm())


@bp.route("/account/data.<fmt>")
def my_data_download(fmt):
    import json

    from flask import Response, abort

    from crm.members.privacy import member_data, member_data_csv

    if fmt not in ("json", "csv"):
        abort(404)
    data = member_data(db.session, current_user)
    if fmt == "json":
        body, mimetype = json.dumps(data, indent=2, ensure_ascii=False).encode(), "application/json"
    else:
        body, mimetype = member_data_csv(data), "text/csv"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="itpo-my-data.{fmt}"', "Cache-Control": "no-store"},
    )


@bp.route("/account/consent", methods=["POST"])
def my_consent():
    from crm.members.forms import ConsentForm
    from crm.members.privacy import record_consent

    form = ConsentForm()
    if form.validate_on_submit():
        record_consent(
            db.session,
            current_user,
            granted=form.consent_email.data,
            wording=str(CONSENT_WORDING),
            wording_version=current_app.config["CONSENT_WORDING_VERSION"],
            source="account_page",
            ip_address=request.remote_addr,
        )
        db.session.commit()
        flash(
            "Saved: ITPO " + ("may" if form.consent_email.data else "will not") + " email you about its campaigns.",
            "success",
        )
    return redirect(url_for("members.my_data"))


@bp.route("/account/erase", methods=["POST"])
@recent_auth_required
def erase_me():
    from flask_login import logout_user

    from crm.members.forms import EraseForm
    from crm.members.privacy import erase_member

    form = EraseForm()
    if current_user.is_staff:
        flash(gettext("Staff accounts are erased by an admin after their work is handed over."), "warning")
        return redirect(url_for("members.my_data"))
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.confirm.errors)) or gettext("Type ERASE to confirm."), "danger")
        return redirect(url_for("members.my_data"))
    erase_member(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(
        gettext(
            "Your account and personal details are erased. Letters you sent still count in ITPO's totals, "
            "without your name or words."
        ),
        "info",
    )
    return redirect(url_for("home.index"))
