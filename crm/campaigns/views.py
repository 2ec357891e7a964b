"""Campaign pages for everyone: the public campaign page, the member's letter, "My letters", the share page."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crm.auth.models import LEAD_ROLES
from crm.campaigns import flow, services, sharing, template_texts
from crm.campaigns.blueprint import bp
from crm.campaigns.forms import LetterForm, PostalCodeForm
from crm.campaigns.models import Campaign, Letter, LetterTemplate
from crm.extensions import db, limiter
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.i18n import current_language, normalise
from crm.lib.pagination import page_args, paginate
from crm.reference.models import ElectoralDistrict
from crm.reference.services import PostalCodeError, normalise_postal_code


def _is_lead() -> bool:
    return current_user.is_authenticated and current_user.role in LEAD_ROLES


def _visible_campaign(slug: str) -> Campaign:
    """A live or closed campaign by slug; drafts only for leads."""
    campaign = services.campaign_by_slug(db.session, slug)
    if campaign is None or (campaign.status == "draft" and not _is_lead()):
        abort(404)
    return campaign


# --- public and member pages ----------------------------------------------------------------------


@bp.route("/campaigns/")
def index():
    campaigns = db.session.scalars(services.list_campaigns(public_only=True).limit(100)).all()
    return render_template("campaigns/index.html", campaigns=campaigns, today=date.today())


@bp.route("/campaigns/<slug>")
def show(slug):
    campaign = _visible_campaign(slug)
    sharing.remember_referral(campaign, request.args.get("ref"), current_user.is_authenticated)
    write_url = url_for("campaigns.write", slug=campaign.slug)
    stats = services.public_counts(db.session, campaign)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        write_url=write_url,
        stats=stats,
        is_open=campaign.is_open(date.today()),
    )


def _letter_rate_limit():
    return current_app.config.get("LETTER_RATE_LIMIT", "10 per minute;60 per hour")


def _member_key():
    return f"member:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


def _choose(campaign: Campaign, stopped=None):
    """Step 1: find the representative (profile riding, postal code, or the list)."""
    user = current_user if current_user.is_authenticated else None
    sent = services.sent_person_ids(db.session, campaign.id, user.id) if user else {}
    context = {"campaign": campaign, "sent": sent, "stopped": stopped}
    if campaign.kind == "fixed_targets":
        return render_template(
            "campaigns/choose.html", targets=services.fixed_recipients(db.session, campaign), **context
        )
    profile = getattr(user, "profile", None)
    own = None
    if profile is not None and profile.district_id:
        own = services.recipient_for_district(db.session, campaign, profile.district_id)
    postal_form = PostalCodeForm(request.args)
    found = None
    if "postal_code" in request.args and postal_form.validate():
        found = _postal_choices(campaign, postal_form.postal_code.data)
    districts = db.session.scalars(
        select(ElectoralDistrict)
        .where(ElectoralDistrict.jurisdiction_id == campaign.jurisdiction_id)
        .order_by(ElectoralDistrict.name)
    ).all()
    typed = postal_form.postal_code.data if found is not None and found.found and not found.outside else None
    return render_template(
        "campaigns/choose.html",
        own=own,
        postal_form=postal_form,
        found=found,
        typed=typed,
        districts=districts,
        **context,
    )


def _postal_choices(campaign: Campaign, postal_code: str) -> services.PostalChoices:
    try:
        found = services.postal_choices(db.session, campaign, postal_code)
        db.session.commit()  # the Represent cache
    except IntegrityError:
        db.session.rollback()
        found = services.postal_choices(db.session, campaign, postal_code)
    return found


def _edits_from_request(template: LetterTemplate) -> dict[int, str]:
    edits = {}
    for block in template.blocks:
        if block.kind != "locked":
            value = request.form.get(f"block-{block.position}")
            if value is not None:
                edits[block.position] = value[: services.MAX_BLOCK_CHARS + 1]
    return edits


def _template_for(campaign: Campaign, template_id: int | None = None) -> LetterTemplate | None:
    """The version the member's form was built on (if it belongs to the campaign), else the current one."""
    template_id = template_id or flow.small_id(request.form.get("template_id"))
    if template_id is not None:
        template = db.session.scalar(
            select(LetterTemplate)
            .where(LetterTemplate.id == template_id, LetterTemplate.campaign_id == campaign.id)
            .options(joinedload(LetterTemplate.blocks))
        )
        if template is not None:
            return template
    return _template_in_language(campaign)


def _template_in_language(campaign: Campaign) -> LetterTemplate | None:
    """The version in the language the member chose on the letter page (?letter_lang=), else French for a member
    writing in French to an office that prefers French letters, else English."""
    writes_in = current_language()
    chosen = normalise(request.values.get("letter_lang"))
    prefers_french = False
    if writes_in == "fr" and chosen is None and "fr" in services.template_languages(db.session, campaign.id):
        recipient = flow.resolve_recipient(db.session, campaign, request.values.get("recipient", ""))
        prefers_french = bool(recipient and recipient.office and recipient.office.prefers_french)
    return services.template_for_member(
        db.session, campaign.id, writes_in=writes_in, chosen=chosen, prefers_french=prefers_french
    )


def _posted_template(slug: str):
    """The campaign at `slug` and the template a posted letter names, read with (for a district) its recipient
    for this writer in one statement: (campaign, template, recipient). (None, None, None): not posted, or not this
    campaign's template (the caller reads the campaign and its current template); a None recipient is resolved
    again by the letter service."""
    template_id = flow.small_id(request.form.get("template_id")) if request.method == "POST" else None
    if template_id is None:
        return None, None, None
    kind, _, raw_district = request.values.get("recipient", "").partition("-")
    district_id = flow.small_id(raw_district) if kind == "district" else None
    profile = getattr(current_user, "profile", None) if current_user.is_authenticated else None
    writer_district_id = profile.district_id if profile is not None and district_id is not None else None
    return services.template_and_recipient(db.session, slug, template_id, district_id, writer_district_id)


def _restored(campaign: Campaign):
    """A letter the member wrote before logging in (?pending=<token>), given to them now: key, template, edits."""
    token = request.args.get("pending")
    if not token or not current_user.is_authenticated or request.method != "GET":
        return None
    pending = flow.claim_pending(db.session, token, current_user.id)
    if pending is None or pending.campaign_id != campaign.id:
        flash(
            gettext("That saved letter has expired (letters wait seven days) or is not yours; please write it again."),
            "warning",
        )
        return None
    return pending.recipient_key, pending.template_id, flow.pending_edits(pending)


@bp.route("/campaigns/<slug>/write", methods=["GET", "POST"])
@limiter.limit(
    _letter_rate_limit, key_func=_member_key, methods=["POST"], exempt_when=lambda: "send" not in request.form
)
def write(slug):
    """The letter page: members send; visitors write first, then join or log in to send."""
    campaign, template, recipient = _campaign_and_posted_template(slug)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    refusal = _cannot_write(campaign, user)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("campaigns.show", slug=campaign.slug))
    restored = _restored(campaign)
    template = _letter_template(campaign, template, restored)
    key = restored[0] if restored else request.values.get("recipient", "")
    if not key:
        return _choose(campaign)
    form = LetterForm(recipient=key)
    typed = _typed_postal_code(form, user)
    posted = request.method == "POST" or restored is not None
    edits = restored[2] if restored else (_edits_from_request(template) if request.method == "POST" else {})
    sending = form.validate_on_submit() and form.send.data and (user is None or _profile_ready(form, user))
    recipient = None if restored else recipient  # read for the posted recipient, not a restored letter's
    outcome = _prepare_and_commit(campaign, user, key, template, edits, form, posted, sending, typed, recipient)
    return _letter_response(campaign, template, form, key, edits, outcome)


def _campaign_and_posted_template(slug: str):
    """The campaign of the letter page (404 for a draft unless a lead asks) and the template a form posted, if any."""
    campaign, template, recipient = _posted_template(slug)
    campaign = campaign if template is not None else _visible_campaign(slug)
    if campaign.status == "draft" and not _is_lead():
        abort(404)
    return campaign, template, recipient


def _letter_template(campaign: Campaign, template, restored):
    """The template to write with: the posted one, else the restored draft's or the campaign's own (404: none)."""
    if template is None or restored:
        template = _template_for(campaign, restored[1] if restored else None)
        if template is None:
            abort(404)
        template = template_texts.text_of(template)  # kept for this letter's send
    return template


def _cannot_write(campaign: Campaign, user) -> str | None:
    """Why no letter can be written here now, or None."""
    if not campaign.is_open(date.today()):
        return gettext("This campaign is not accepting letters at the moment.")
    if user is not None and user.email_confirmed_at is None:
        return gettext("Confirm your email address before sending a letter: open the link we sent you.")
    return None


def _prepare_and_commit(campaign, user, key, template, edits, form, posted, sending, typed, recipient):
    """Run the letter service and commit once; a second tab that sent the same letter first wins the race."""
    try:
        outcome = flow.prepare(
            db.session,
            campaign,
            user,
            key,
            template,
            edits,
            posted=posted,
            send=sending,
            postal_code=typed,
            recipient=recipient,
        )
        if outcome.kind == "sent":
            if form.save_riding.data:
                flow.save_riding(db.session, user, outcome.recipient)
            outcome.message = _thanks(campaign, outcome.recipient)  # read before the commit expires them
        db.session.commit()
    except IntegrityError:  # the unique constraint kept one letter
        db.session.rollback()
        outcome = flow.after_race(db.session, campaign, user.id, key)
        if outcome is None:
            raise
    return outcome


def _thanks(campaign: Campaign, recipient) -> str:
    name = recipient.person.full_name
    if campaign.letter_delivery == "daily_digest":  # the office asked for one email a day
        return gettext("Thank you! Your letter to %(name)s goes to the office in tomorrow's daily digest.", name=name)
    return gettext("Thank you! Your letter to %(name)s is on its way.", name=name)


def _typed_postal_code(form: LetterForm, user) -> str | None:
    """The postal code a member without one on file typed (at the postal-code step or on the letter): the
    preview's signature shows it and the form keeps it, so it is asked for once."""
    profile = getattr(user, "profile", None)
    if user is None or (profile is not None and profile.postal_code):
        return None
    text = form.postal_code.data if request.method == "POST" else request.args.get("postal_code", "")
    try:
        typed = normalise_postal_code(text or "")
    except PostalCodeError:
        return None
    form.postal_code.data = typed
    return typed


def _profile_ready(form: LetterForm, user) -> bool:
    """A member without a postal code gives one before sending: their signature needs it."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.postal_code:
        return True
    if form.postal_code.data:
        flow.save_postal_code(db.session, user, form.postal_code.data)
        return True
    form.postal_code.errors = [
        gettext("Enter your postal code: your representative's office counts letters from its riding.")
    ]
    return False


def _letter_response(campaign, template, form, key, edits, outcome: flow.Outcome):
    """Turn the letter service's outcome into a page or a redirect."""
    kind = outcome.kind
    if kind == "unknown_recipient":
        flash(gettext("Choose your representative again."), "warning")
        return redirect(url_for("campaigns.write", slug=campaign.slug))
    if kind == "stopped":
        return _choose(campaign, stopped=outcome.message)
    if kind == "duplicate":
        flash(_duplicate_notice_for(outcome), "info")
        return redirect(url_for("campaigns.share", letter_id=outcome.letter_id))
    if kind == "sent":
        flash(outcome.message, "success")
        return redirect(url_for("campaigns.share", letter_id=outcome.letter_id))
    if kind == "waiting":
        return render_template(
            "campaigns/waiting.html",
            campaign=campaign,
            recipient=outcome.recipient,
            next_url=url_for("campaigns.write", slug=campaign.slug, pending=outcome.pending_token),
            token=outcome.pending_token,
        )
    if kind == "unavailable":
        return render_template("campaigns/unavailable.html", campaign=campaign, message=outcome.message), 503
    if kind == "invalid":
        form.form_errors.append(outcome.message)
    user = current_user if current_user.is_authenticated else None
    profile = getattr(user, "profile", None)
    return render_template(
        "campaigns/write.html",
        campaign=campaign,
        template=template,
        recipient=outcome.recipient,
        blocks=outcome.blocks
        or services.draft_blocks(
            template, services.letter_context(db.session, campaign, user, outcome.recipient, template.language)
        ),
        edits=edits,
        form=form,
        preview=outcome.preview,
        problems=outcome.problems,
        recipient_key=key,
        visitor=user is None,
        needs_postal_code=user is not None and not (profile and profile.postal_code),
        offer_save_riding=_offer_save_riding(campaign, profile, outcome.recipient),
        other_language=_other_letter_language(campaign, template),
    )


def _other_letter_language(campaign: Campaign, template: LetterTemplate) -> str | None:
    """The campaign's other letter language, when it has one and the member has not started writing."""
    if request.method == "POST":
        return None
    others = [lang for lang in services.template_languages(db.session, campaign.id) if lang != template.language]
    return others[0] if others else None


def _offer_save_riding(campaign, profile, recipient) -> bool:
    return (
        profile is not None
        and campaign.kind == "own_representative"
        and recipient is not None
        and recipient.district is not None
        and profile.district_id != recipient.district.id
    )


def _duplicate_notice_for(outcome: flow.Outcome) -> Markup:
    link = url_for("campaigns.my_letter", letter_id=outcome.letter_id)
    name = outcome.recipient.person.full_name if outcome.recipient and outcome.recipient.person else None
    return Markup(
        gettext('You have already sent a letter to %(name)s in this campaign. <a href="%(link)s">See your letter</a>.')
    ) % {"name": name or gettext("this representative"), "link": link}


@bp.route("/my/letters")
def my_letters():
    try:
        limit, offset = page_args(request.args, default=25, maximum=100)
    except ValueError:
        limit, offset = 25, 0
    page = paginate(db.session, services.letters_of_member(current_user.id), limit=limit, offset=offset)
    return render_template("campaigns/my_letters.html", page=page)


@bp.route("/my/letters/<int:letter_id>")
def my_letter(letter_id):
    letter = db.session.scalar(services.letters_of_member(current_user.id).where(Letter.id == letter_id))
    if letter is None:
        abort(404)  # someone else's letter looks exactly like a missing one
    return render_template("campaigns/letter.html", letter=letter, lead_view=False)


# --- sharing after a letter (issue 21, item 5; the rules live in crm/campaigns/sharing.py)
# ---------------


def _share_rate_limit():
    return current_app.config["SHARE_RATE_LIMIT"]


@bp.route("/my/letters/<int:letter_id>/share", methods=["GET", "POST"])
@limiter.limit(_share_rate_limit, key_func=_member_key, methods=["POST"])
def share(letter_id):
    """Share links with the member's referral code, and a one-off invitation to colleagues."""
    letter = sharing.letter_of_member(db.session, current_user.id, letter_id)
    if letter is None:
        abort(404)  # someone else's letter looks exactly like a missing one
    is_open = letter.campaign.is_open(date.today())
    form = sharing.ColleagueForm()
    if form.validate_on_submit() and is_open:
        user = current_user._get_current_object()
        try:
            invited = sharing.invite_colleagues(
                db.session, letter=letter, user=user, addresses=form.addresses.data, note=form.note.data
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Sent: %(num)d invitation, from ITPO, naming you.",
                    "Sent: %(num)d invitations, from ITPO, naming you.",
                    invited,
                ),
                "success",
            )
            return redirect(url_for("campaigns.share", letter_id=letter.id))
    code = sharing.referral_code(db.session, current_user.id)
    db.session.commit()  # the member's code, made on first use
    return render_template(
        "campaigns/share.html",
        letter=letter,
        campaign=letter.campaign,
        is_open=is_open,
        links=sharing.share_links(letter.campaign, code),
        campaign_url=sharing.campaign_url(letter.campaign, code),
        form=form,
        max_colleagues=sharing.MAX_COLLEAGUES,
    )
