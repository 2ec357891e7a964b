"""The member's "did they reply?" page (a signed link, no login) and the committee's reply page."""

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from crm.audit.services import record
from crm.extensions import db
from crm.lib.errors import ValidationError, apply_to_form
from crm.replies import services
from crm.replies.forms import AnswerForm, StanceFromReplyForm
from crm.replies.models import ANSWERS

bp = Blueprint("replies", __name__)
log = logging.getLogger(__name__)


def _survey_or_404(token: str):
    """The survey the link opens; anything else is a 404, written to the audit log (who tried, from where)."""
    reply, why = services.survey_by_token(db.session, token, current_user)
    if reply is None:
        db.session.rollback()
        record(db.session, "refused_survey_link", "letter_replies", None, {"reason": why})
        db.session.commit()
        log.info("replies: refused a survey link (%s)", why)
        abort(404)
    return reply


@bp.route("/replies/survey/<token>", methods=["GET", "POST"])
def survey(token):
    """GET shows the question (a one-click answer from the email arrives preselected, unsaved); POST records."""
    reply = _survey_or_404(token)
    undelivered = services.letter_undelivered(db.session, reply)
    form = AnswerForm(obj=None if request.method == "POST" else reply)
    if request.method == "GET" and request.args.get("answer") in dict(ANSWERS):
        form.answer.data = request.args["answer"]
    if request.method == "POST":
        if undelivered:
            return render_template("replies/survey.html", reply=reply, form=form, undelivered=True), 409
        if form.validate_on_submit():
            try:
                outcome = services.record_answer(
                    db.session, reply, answer=form.answer.data, text=form.reply_text.data, tone=form.tone.data or None
                )
            except ValidationError as error:
                db.session.rollback()
                apply_to_form(form, error)
            else:
                db.session.commit()
                flash(
                    gettext("Thank you: your answer is saved.")
                    if outcome == "recorded"
                    else gettext("Thank you: your answer is changed."),
                    "success",
                )
                return redirect(url_for(".survey", token=token))
        return render_template("replies/survey.html", reply=reply, form=form, undelivered=undelivered), 400
    return render_template("replies/survey.html", reply=reply, form=form, undelivered=undelivered)


@bp.route("/replies/<int:reply_id>")
def detail(reply_id):
    """The committee's view of one reported reply, with "make it a stance"."""
    reply = services.reply_detail(db.session, reply_id)
    if reply is None or reply.answered_at is None:
        abort(404)
    form = StanceFromReplyForm(position=reply.tone or "unknown")
    return render_template("replies/detail.html", reply=reply, form=form)


@bp.route("/replies/<int:reply_id>/stance", methods=["POST"])
def make_stance(reply_id):
    reply = services.reply_detail(db.session, reply_id)
    if reply is None or reply.answered_at is None:
        abort(404)
    form = StanceFromReplyForm()
    if form.validate_on_submit():
        try:
            services.make_stance(
                db.session, reply, ask=form.ask.data, position=form.position.data, author_id=current_user.id
            )
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("Stance recorded on the official's record, sourced as a member-reported reply."), "success")
            return redirect(url_for("stakeholders.person", person_id=reply.person_id))
    else:
        flash(gettext("Choose an ask and a position, then try again."), "danger")
    return redirect(url_for(".detail", reply_id=reply_id))


def reply_helpers():
    """For the campaigns templates, which cannot import this package: a letter's reply, a campaign's panel."""
    return {
        "reply_for": _reply_for,
        "survey_url": services.survey_url,
        "responsiveness_panel": lambda campaign_id: services.responsiveness(db.session, campaign_id),
    }


def _reply_for(letter):
    """The letter's reply; on the first miss, the replies of every letter the request has loaded, in one query."""
    from crm.campaigns.models import Letter

    cache = g.setdefault("letter_replies", {})
    if letter.id not in cache:
        loaded = {obj.id for obj in list(db.session.identity_map.values()) if isinstance(obj, Letter)}
        wanted = (loaded | {letter.id}) - cache.keys()
        found = services.replies_for_letters(db.session, sorted(wanted))
        cache.update({letter_id: found.get(letter_id) for letter_id in wanted})
    return cache[letter.id]
