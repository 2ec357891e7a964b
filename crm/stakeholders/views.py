"""The stakeholder directory: people, organizations, stances, merge, import/export, roster refresh."""

from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from crm.extensions import db
from crm.lib.archive import ArchiveForm, archive_view
from crm.lib.errors import ValidationError, apply_to_form
from crm.lib.pagination import page_args, paginate
from crm.stakeholders import directory, exports, files, forms, imports, merge, parties, roster, services, stances
from crm.stakeholders.models import ASKS, ORGANIZATION_KINDS, POSITIONS, Organization, Person, current_stances
from crm.stakeholders.timeline import timeline_sections

bp = Blueprint("stakeholders", __name__, url_prefix="/directory")
UPLOAD_ENDPOINTS = {"stakeholders.import_people", "stakeholders.roster_refresh"}


@bp.url_value_preprocessor
def allow_large_uploads(endpoint, values):
    """Uploads may be up to 10 MB (the service refuses bigger files with a message); other posts keep the default.

    A URL value preprocessor runs before every before_request hook, so before anything reads the form.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = files.MAX_UPLOAD_BYTES + 1024 * 1024


def directory_labels():
    return {
        "ASK_LABELS": dict(ASKS),
        "POSITION_LABELS": dict(POSITIONS),
        "KIND_LABELS": dict(ORGANIZATION_KINDS),
        "current_stances": current_stances,
    }


def _filters(form) -> directory.DirectoryFilters:
    data = {name: (form[name].data or "") for name in ("q", "kind", "jurisdiction", "ask", "position", "sort")}
    if isinstance(form, forms.PeopleFilterForm):
        data.update(
            party=form.party.data or "",
            tag=form.tag.data or "",
            status=form.status.data or "",
            organization_id=_an_id(form.organization.data),
        )
    return directory.DirectoryFilters(**data)


def _an_id(value) -> int | None:
    """A filter's id; one no row can have (out of the database's range) matches nothing, and is no 500."""
    if not value:
        return None
    return value if 0 < value < 2**31 else -1


def _filter_form(form_class):
    """The filter form bound to the query string; unknown choices are dropped rather than failing."""
    choices = directory.list_choices(db.session)
    form = form_class(request.args)
    form.jurisdiction.choices = forms.ANY + choices["jurisdictions"]
    if hasattr(form, "party"):
        form.party.choices = forms.ANY + choices["parties"]
    form.validate()
    for name, errors in form.errors.items():
        if errors:
            form[name].data = None
    return form


def _list_page():
    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError as error:
        abort(400, str(error))
    return limit, offset


def _export(columns, rows, stem: str) -> Response:
    kind = request.args.get("format") or "csv"
    if kind not in ("csv", "xlsx"):
        abort(400, "Choose the format csv or xlsx.")
    name = f"{stem}-{date.today().isoformat()}"
    if kind == "xlsx":
        return Response(
            files.write_xlsx(columns, rows),
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(
        files.write_csv(columns, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _save_form(form, save, done):
    """Validate, call `save()`, commit, flash and redirect; None (render the form again) when it fails.

    `done(saved)` returns (message, endpoint, url values) for the redirect.
    """
    if not form.validate_on_submit():
        return None
    try:
        saved = save()
    except ValidationError as error:
        db.session.rollback()
        apply_to_form(form, error)
        return None
    db.session.commit()
    message, endpoint, values = done(saved)
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# --- people --------------------------------------------------------------------------------------


@bp.route("/people")
def people():
    form = _filter_form(forms.PeopleFilterForm)
    limit, offset = _list_page()
    page = directory.people_page(
        db.session, _filters(form), limit=limit, offset=offset, exact=request.args.get("count") == "all"
    )
    duplicates = merge.probable_duplicates(db.session, page.items)
    q = (form.q.data or "").strip() if not page.items and not page.offset else ""
    named = directory.organizations_named(db.session, q) if q else []  # "cpso": no one, but the College
    chosen = _an_id(form.organization.data)
    at = directory.get_organization(db.session, chosen) if chosen and chosen > 0 else None
    return render_template(
        "stakeholders/people.html", form=form, page=page, duplicates=duplicates, named=named, at_organization=at
    )


@bp.route("/people/export")
def people_export():
    form = _filter_form(forms.PeopleFilterForm)
    rows = exports.people_export_rows(db.session, directory.people_query(_filters(form)))
    return _export(exports.PEOPLE_EXPORT_COLUMNS, rows, "people")


def _person_or_404(person_id: int) -> Person:
    person = directory.get_person(db.session, person_id)
    if person is None:
        abort(404)
    return person


def _person_form(person=None):
    form = forms.PersonForm(obj=person)
    parties.enhance_picker(form.organization_name, form.organization, gettext("Type a name or acronym, then choose"))
    form.jurisdiction.choices = [("", gettext("None"))] + directory.list_choices(db.session)["jurisdictions"]
    if person is not None and not form.is_submitted():
        _choose_organization(form, person.organization_id)
        form.jurisdiction.data = person.jurisdiction.code if person.jurisdiction else ""
        form.emails.data = "\n".join(f"{c.label}: {c.value}" for c in person.emails())
        form.phones.data = "\n".join(f"{c.label}: {c.value}" for c in person.phones())
        form.tags.data = "; ".join(t.name for t in person.tags)
    return form


def _choose_organization(form, organization_id: int | None) -> None:
    if organization_id:
        form.organization.data = f"organization:{organization_id}"
        form.organization_name.data = parties.party_labels(db.session, [form.organization.data]).get(
            form.organization.data, ""
        )


def _save_person(form, person):
    ref = parties.resolve_party(
        db.session, form.organization.data, form.organization_name.data, ("organization",), "organization_name"
    )
    return services.save_person(
        db.session,
        person,
        full_name=form.full_name.data,
        title=(form.title.data or "").strip(),
        organization_id=parties.parse_party_ref(ref)[1] if ref else None,
        jurisdiction=form.jurisdiction.data,
        notes=(form.notes.data or "").strip(),
        emails=form.emails.parsed,
        phones=form.phones.parsed,
        tags=(form.tags.data or "").split(";"),
    )


@bp.route("/people/new", methods=["GET", "POST"])
def person_new():
    form = _person_form()
    if request.method == "GET" and request.args.get("organization", "").isdigit():
        _choose_organization(form, int(request.args["organization"]))
    return _save_form(
        form, lambda: _save_person(form, None), lambda p: (_added(p), ".person", {"person_id": p.id})
    ) or render_template("stakeholders/person_form.html", form=form, person=None)


def _added(person: Person) -> str:
    """What adding a person says: also that they may be someone already in the directory."""
    others = merge.duplicates_of(db.session, person)
    if not others:
        return gettext("%(name)s added.", name=person.full_name)
    return gettext(
        "%(name)s added, but %(others)s may be the same person (the same email, or the same name in the same "
        "organization): compare them under Possible duplicates.",
        name=person.full_name,
        others=", ".join(o.full_name for o in others[:3]),
    )


@bp.route("/people/<int:person_id>")
def person(person_id):
    return _person_page(_person_or_404(person_id))


def _person_page(person: Person, stance_form=None):
    return render_template(
        "stakeholders/person.html",
        person=person,
        stance_form=stance_form or forms.StanceForm(),
        duplicates=merge.duplicates_of(db.session, person),
        archive_form=ArchiveForm(),
        merge_form=forms.MergeForm(),
        timeline_sections=timeline_sections(db.session, person, _page_number()),
    )


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def person_edit(person_id):
    person = _person_or_404(person_id)
    form = _person_form(person)
    return _save_form(
        form, lambda: _save_person(form, person), lambda p: (gettext("Changes saved."), ".person", {"person_id": p.id})
    ) or render_template("stakeholders/person_form.html", form=form, person=person)


@bp.route("/people/<int:person_id>/archive", methods=["POST"])
def person_archive(person_id):
    person = _person_or_404(person_id)
    return archive_view(person, person.full_name, url_for(".person", person_id=person.id))


@bp.route("/people/<int:person_id>/stances", methods=["POST"])
def person_stance(person_id):
    person = _person_or_404(person_id)
    return _add_stance(
        forms.StanceForm(),
        lambda form: _person_page(person, form),
        url_for(".person", person_id=person.id),
        person=person,
    )


@bp.route("/people/<int:person_id>/merge", methods=["GET", "POST"])
def person_merge(person_id):
    """Keep this person; fold the duplicate into them: GET shows both records and asks to confirm, POST merges."""
    person = _person_or_404(person_id)
    form = forms.MergeForm()
    if request.method == "GET":
        duplicate = db.session.get(Person, request.args.get("duplicate", 0, type=int) or 0)
        if duplicate is None or duplicate.id == person.id:
            flash(gettext("Choose a listed duplicate to merge."), "danger")
            return redirect(url_for(".person", person_id=person.id))
        return render_template("stakeholders/merge.html", person=person, duplicate=duplicate, form=form)
    duplicate = db.session.get(Person, form.duplicate_id.data) if form.validate_on_submit() else None
    if duplicate is None:
        flash(gettext("Choose a listed duplicate to merge."), "danger")
        return redirect(url_for(".person", person_id=person.id))
    try:
        merge.merge_people(db.session, person, duplicate)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(gettext("The two records are merged; every email, office, stance and tag is now on this one."), "success")
    return redirect(url_for(".person", person_id=person.id))


def _add_stance(form, page, back: str, **subject):
    """Record the posted stance and go `back`; if it is refused, the `page` again with the form as typed and
    what to fix on its fields (400)."""
    if form.validate_on_submit():
        try:
            stances.add_stance(
                db.session,
                ask=form.ask.data,
                position=form.position.data,
                as_of=form.as_of.data,
                source=(form.source.data or "").strip(),
                note=(form.note.data or "").strip(),
                author_id=current_user.id,
                **subject,
            )
        except ValidationError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(gettext("Stance recorded."), "success")
            return redirect(back)
    flash(gettext("The stance was not recorded: see what to fix in its form below."), "danger")
    return page(form), 400


# --- organizations -------------------------------------------------------------------------------


@bp.route("/organizations")
def organizations():
    form = _filter_form(forms.OrganizationFilterForm)
    limit, offset = _list_page()
    page = paginate(
        db.session, directory.organizations_query(_filters(form)), limit=limit, offset=offset, scalars=False
    )
    return render_template("stakeholders/organizations.html", form=form, page=page)


@bp.route("/organizations/export")
def organizations_export():
    form = _filter_form(forms.OrganizationFilterForm)
    rows = exports.organization_export_rows(db.session, directory.organizations_query(_filters(form)))
    return _export(exports.ORGANIZATION_EXPORT_COLUMNS, rows, "organizations")


def _organization_or_404(organization_id: int) -> Organization:
    organization = directory.get_organization(db.session, organization_id)
    if organization is None:
        abort(404)
    return organization


def _organization_form(organization=None):
    form = forms.OrganizationForm(obj=organization)
    form.jurisdiction.choices = [("", gettext("None"))] + directory.list_choices(db.session)["jurisdictions"]
    if organization is not None and not form.is_submitted():
        form.jurisdiction.data = organization.jurisdiction.code if organization.jurisdiction else ""
    return form


def _save_organization(form, organization):
    return services.save_organization(
        db.session,
        organization,
        name=form.name.data,
        acronym=(form.acronym.data or "").strip(),
        kind=form.kind.data,
        jurisdiction=form.jurisdiction.data,
        website=(form.website.data or "").strip(),
        notes=(form.notes.data or "").strip(),
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_new():
    form = _organization_form()
    return _save_form(
        form,
        lambda: _save_organization(form, None),
        lambda o: (gettext("%(name)s added.", name=o.name), ".organization", {"organization_id": o.id}),
    ) or render_template("stakeholders/organization_form.html", form=form, organization=None)


@bp.route("/organizations/<int:organization_id>")
def organization(organization_id):
    return _organization_page(_organization_or_404(organization_id))


def _organization_page(organization: Organization, stance_form=None):
    return render_template(
        "stakeholders/organization.html",
        organization=organization,
        people=directory.organization_people(db.session, organization),
        stance_form=stance_form or forms.StanceForm(),
        archive_form=ArchiveForm(),
        timeline_sections=timeline_sections(db.session, organization, _page_number()),
    )


def _page_number() -> int:
    """The timeline page asked for; anything odd is page 1."""
    number = request.args.get("page", 1, type=int) or 1
    return number if 1 <= number <= 100_000 else 1


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
def organization_edit(organization_id):
    organization = _organization_or_404(organization_id)
    form = _organization_form(organization)
    return _save_form(
        form,
        lambda: _save_organization(form, organization),
        lambda o: (gettext("Changes saved."), ".organization", {"organization_id": o.id}),
    ) or render_template("stakeholders/organization_form.html", form=form, organization=organization)


@bp.route("/organizations/<int:organization_id>/archive", methods=["POST"])
def organization_archive(organization_id):
    organization = _organization_or_404(organization_id)
    return archive_view(organization, organization.name, url_for(".organization", organization_id=organization.id))


@bp.route("/organizations/<int:organization_id>/stances", methods=["POST"])
def organization_stance(organization_id):
    organization = _organization_or_404(organization_id)
    return _add_stance(
        forms.StanceForm(),
        lambda form: _organization_page(organization, form),
        url_for(".organization", organization_id=organization.id),
        organization=organization,
    )


# --- import and roster refresh -------------------------------------------------------------------


def _upload_folder() -> Path:
    return Path(current_app.instance_path) / "uploads"


def _upload_flow(template: str, run, save_plan, apply_plan):
    """Upload → preview (dry run) → apply with the stashed file and its `save_plan(report)`. `apply_plan(plan,
    rows)` returns None when the directory changed since: the file is then previewed again, nothing applied."""
    form, apply_form, report, token, folder = forms.UploadForm(), forms.ApplyUploadForm(), None, None, _upload_folder()
    if request.method == "POST" and "token" in request.form:
        if not apply_form.validate_on_submit():
            abort(400, "This form has expired or was not sent from our site. Reload the page and try again.")
        stashed = apply_form.token.data
        try:
            name, data = files.load_upload(folder, stashed)
            report = apply_plan(files.load_plan(folder, stashed), lambda: files.read_table(name, data))
            if report is None:
                report = run(files.read_table(name, data), apply=False)
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(request.path)
        if report.applied:
            db.session.commit()
            files.discard_upload(folder, stashed)
            flash(gettext("Applied."), "success")
        else:
            db.session.rollback()
            files.discard_upload(folder, stashed)
            if not report.errors:
                token = files.stash_upload(folder, name, data, save_plan(report))
                flash(
                    gettext(
                        "The directory changed after your preview (someone edited it or applied another import), so "
                        "nothing was applied. Below is the preview against the directory as it is now: check it and "
                        "apply again."
                    ),
                    "warning",
                )
    elif form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            report = run(files.read_table(upload.filename, data), apply=False)
        except ValidationError as error:
            apply_to_form(form, error)
        else:
            db.session.rollback()
            if not report.errors:
                token = files.stash_upload(folder, upload.filename, data, save_plan(report))
    return render_template(template, form=form, report=report, token=token)


@bp.route("/import", methods=["GET", "POST"])
def import_people():
    return _upload_flow(
        "stakeholders/import.html",
        lambda rows, apply: imports.import_stakeholders(db.session, rows, apply=apply),
        imports.saved_plan,
        lambda plan, rows: imports.apply_saved_plan(db.session, plan, forms.look_alike_choices(request.form)),
    )


@bp.route("/roster", methods=["GET", "POST"])
def roster_refresh():
    return _upload_flow(
        "stakeholders/roster.html",
        lambda rows, apply: roster.refresh_roster(db.session, rows, apply=apply),
        roster.previewed,
        lambda plan, rows: roster.apply_previewed(db.session, plan, rows()),
    )
