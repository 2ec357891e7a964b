"""Joining ITPO (membership is free)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from crm.auth.views import safe_next
from crm.errors import ValidationError, apply_to_form
from crm.extensions import db, limiter
from crm.members import services
from crm.members.forms import CONSENT_WORDING, JoinForm

bp = Blueprint("members", __name__)


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["JOIN_RATE_LIMIT"], methods=["POST"])
def join():
    next_url = safe_next(request.args.get("next"))  # e.g. the campaign letter the member came to write
    if current_user.is_authenticated:
        return redirect(next_url or url_for("core.home"))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            services.join(db.session, full_name=form.full_name.data.strip(), email=form.email.data,
                          password=form.password.data, postal_code=form.postal_code.data,
                          province=form.province.data, consent_email=form.consent_email.data,
                          consent_wording=CONSENT_WORDING, ip_address=request.remote_addr,
                          licensure_stage=form.licensure_stage.data, training_country=form.training_country.data,
                          specialty=form.specialty.data, graduation_year=form.graduation_year.data)
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash("Welcome to ITPO! We have sent you an email: open the link in it to confirm your address, "
                  "then log in.", "success")
            if next_url:
                session["after_confirm"] = next_url
            return redirect(url_for("auth.login", next=next_url) if next_url else url_for("auth.login"))
    return render_template("members/join.html", form=form, next_url=next_url)
