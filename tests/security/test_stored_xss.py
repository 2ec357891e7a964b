"""Stored XSS: every free-text column a person can fill is typed through the real forms with a script-and-attribute
payload, and no page that shows it renders the payload as markup.

1. Every String/Text column of the models is either filled by the sweep (a form fills it, or it is a copy of one
   that is) or listed in EXEMPT with the reason it cannot carry the payload to a page. A new column fails
   `test_every_text_column_is_swept_or_exempt` until someone decides which.
2. The sweep types the payload as the people who would: a new member through the join form and their own pages,
   an admin through the staff forms, an admin's roster upload (and a contact sheet's preview), SendGrid's signed
   webhook. Each column gets a marker of its own (`xss07x`), so the test knows which column reached which page,
   and the longest payload its length allows (Markdown columns add `javascript:` links, web-address columns are
   web addresses).
3. A crawler walks every page it can reach from the routes without parameters and from the records made, as a
   visitor, as the member and as the admin. Every HTML page is parsed: no inline script, no on* attribute, no
   javascript: or data: address, no <img src=x>, and the strict CSP header. Escaped text is what we want.
4. Every swept column's marker must show on at least one page, so a form that silently refused the payload or
   a column no page shows is noticed (it then belongs in EXEMPT with that reason).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from crm.extensions import db
from crm.outbox.backends import MemoryMailer, PermanentFailure
from tests.campaigns.conftest import new_campaign, template_form
from tests.conftest import PASSWORD, Browser
from tests.security.page_check import crawl, read_page
from tests.security.stored_text import (
    ATTRIBUTE,
    COPIES,
    EXEMPT,
    FORM_FIELDS,
    SCRIPT,
    SWEPT,
    Payloads,
    Searched,
    free_text_form_fields,
    text_columns,
)


def _posted(response, what: str):
    """A form post that must have been accepted (a redirect); otherwise say which fields complained."""
    if response.status_code != 302:
        html = response.get_data(as_text=True)
        problems = re.findall(r"(?:invalid-feedback|alert-danger)[^>]*>\s*([^<]+)", html)
        raise AssertionError(f"{what} was refused ({response.status_code}): {problems}")
    return response.headers["Location"]


def _id_in(location: str) -> int:
    return int(re.search(r"/(\d+)(?:/[a-z]+)?$", location).group(1))


# --- what people type --------------------------------------------------------------------------------------------


def member_joins_and_confirms(app, mailbox, fill) -> Browser:
    member = Browser(app.test_client())
    _posted(
        member.post(
            "/join",
            {
                "full_name": fill("users.name"),
                "email": "sweep.member@example.org",
                "password": PASSWORD,
                "postal_code": "L1S 1A1",
                "province": "ON",
                "licensure_stage": "pra",
                "graduation_year": "2012",
                "training_country": fill("member_profiles.training_country"),
                "specialty": fill("member_profiles.specialty"),
            },
        ),
        "join",
    )
    member.get(mailbox.last_link("/confirm/"))
    member.login("sweep.member@example.org")
    # Evidence tables show a training country or specialty only when enough members share it (small-count rule):
    # others give the same answers, so the payload reaches the dashboard like any common answer would.
    from crm.members.services import join
    from crm.members.small_counts import SMALL_COUNT

    with app.app_context():
        for n in range(SMALL_COUNT + 1):
            join(
                db.session,
                full_name=f"Peer {n}",
                email=f"sweep.peer{n}@example.org",
                password=PASSWORD,
                postal_code="L1S 1A1",
                province="ON",
                consent_email=False,
                consent_wording="",
                licensure_stage="pra",
                training_country=fill("member_profiles.training_country"),
                specialty=fill("member_profiles.specialty"),
                graduation_year=2012,
            )
        db.session.commit()
        db.session.remove()
    return member


def admin_fills_the_directory(admin, fill) -> list[str]:
    organization = _posted(
        admin.post(
            "/directory/organizations/new",
            {
                "name": fill("organizations.name"),
                "acronym": fill("organizations.acronym"),
                "kind": "regulator",
                "jurisdiction": "ON",
                "website": fill("organizations.website"),
                "notes": fill("organizations.notes"),
            },
        ),
        "the organization form",
    )
    person = _posted(
        admin.post(
            "/directory/people/new",
            {
                "full_name": fill("people.full_name"),
                "title": fill("people.title"),
                "organization": f"organization:{_id_in(organization)}",
                "jurisdiction": "ON",
                "emails": "registrar@example.org",
                "phones": f"{fill('contact_points.label')}: {fill('contact_points.value')}",
                "tags": fill("tags.name"),
                "notes": fill("people.notes"),
            },
        ),
        "the person form",
    )
    admin.post(
        f"{person}/stances",
        {
            "ask": "pra",
            "position": "supportive",
            "as_of": date.today().isoformat(),
            "source": fill("stances.source"),
            "note": fill("stances.note"),
        },
        page=person,
    )
    return [organization, person]


def admin_logs_interactions(admin, fill, person: str, admin_id: int) -> list[str]:
    when = (datetime.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "kind": "meeting",
        "occurred_at": when,
        "title": fill("interactions.title"),
        "summary": fill("interactions.summary"),
        "outcome": fill("interactions.outcome"),
        "hashtags": "#mppchats",
        "jurisdiction_id": "",
        "proposal_version_id": "",
        "participants-0-who": f"person:{_id_in(person)}",
        "participants-0-role": "attendee",
        "follow_ups-0-title": fill("follow_ups.title"),
        "follow_ups-0-due_date": (date.today() + timedelta(days=3)).isoformat(),
        "follow_ups-0-assignee_id": str(admin_id),
    }
    meeting = _posted(admin.post("/interactions/new", data), "the interaction form")
    post = _posted(
        admin.post(
            "/interactions/posts/new",
            {
                "platform": "linkedin",
                "url": fill("interactions.url"),
                "occurred_on": date.today().isoformat(),
                "posted_by": fill("interactions.posted_by"),
                "hashtags": "#skillstohelp",
                "summary": fill("interactions.summary"),
            },
        ),
        "the social post form",
    )
    return [meeting, post]


def admin_writes_a_proposal_and_an_ask_status(admin, fill, ontario_id: int) -> list[str]:
    edit = _posted(
        admin.post(
            "/committee/proposals/new",
            {"jurisdiction_id": ontario_id, "title": fill("proposals.title")},
            page="/committee/proposals",
        ),
        "the new proposal form",
    )
    _posted(
        admin.post(
            edit, {"body": fill("proposal_versions.body"), "change_summary": fill("proposal_versions.change_summary")}
        ),
        "the version form",
    )
    version = edit.rsplit("/", 1)[0]
    _posted(admin.post(f"{version}/publish", page=version), "publishing")
    _posted(
        admin.post(
            "/committee/asks/pra/ON",
            {
                "status": "operating",
                "program_name": fill("ask_statuses.program_name"),
                "figure": "",
                "source_url": fill("ask_statuses.source_url"),
                "as_of": date.today().isoformat(),
                "note": fill("ask_statuses.note"),
            },
        ),
        "the ask status form",
    )
    return [version, "/committee/asks/pra/ON"]


def admin_launches_a_campaign(admin, fill) -> tuple[int, str]:
    fields = {"name": fill("campaigns.name"), "slug": "xss-sweep", "summary": fill("campaigns.summary")}
    campaign_id = new_campaign(admin, **fields)
    data = template_form(
        fill("letter_templates.subject"),
        ("locked", fill("letter_blocks.body"), 0),
        ("editable", "Please support more PRA spots.", 0),
        ("personal", "Your story", 0),
    )
    data["blocks-2-label"] = fill("letter_blocks.label")
    admin.post(f"/manage/campaigns/{campaign_id}/template", data)
    edit = f"/manage/campaigns/{campaign_id}/edit"
    page = admin.get(edit).get_data(as_text=True)
    ontario = re.search(r'<option selected value="(\d+)">Ontario', page).group(1)
    _posted(
        admin.post(
            edit,
            {
                **fields,
                "hashtag": "#skillstohelp",
                "kind": "own_representative",
                "jurisdiction_id": ontario,
                "mpp_address": "legislature",
                "status": "live",
            },
        ),
        "making the campaign live",
    )
    return campaign_id, "xss-sweep"


def admin_plans_program_items(admin, fill, programs: dict[str, int]) -> list[str]:
    starts = datetime.now() + timedelta(days=10)
    event = _posted(
        admin.post(
            "/programs/manage/events/new",
            {
                "program_id": programs["cracking"],
                "title": fill("events.title"),
                "description": fill("events.description"),
                "starts_at": starts.strftime("%Y-%m-%dT19:00"),
                "ends_at": starts.strftime("%Y-%m-%dT20:00"),
                "capacity": "30",
                "status": "open",
                "join_url": fill("events.join_url"),
            },
        ),
        "the event form",
    )
    _posted(
        admin.post(
            "/programs/manage/resources",
            {
                "program_id": programs["cracking"],
                "title": fill("program_resources.title"),
                "description": fill("program_resources.description"),
                "url": fill("program_resources.url"),
                "stages": ["exams"],
            },
        ),
        "the resource form",
    )
    return [f"/programs/events/{_id_in(event)}", f"{event}/edit"]


def member_acts(member, fill, campaign_slug: str, district_id: int, mpp_id: int, event: str) -> list[str]:
    url = f"/campaigns/{campaign_slug}/write?recipient=district-{district_id}"
    _posted(member.post(url, {"block-3": fill("letters.body"), "send": "Send my letter"}, page=url), "the letter")
    report = _posted(
        member.post(
            "/interactions/mppchats/report",
            {
                "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
                "meeting_format": "in_person",
                "person_id": str(mpp_id),
                "summary": fill("interactions.summary"),
                "outcome": fill("interactions.outcome"),
            },
        ),
        "the #mppchats report",
    )
    _posted(member.post(f"{event}/register", page=event), "registering for the event")
    _posted(
        member.post(
            "/programs/speak",
            {"route": "pra", "program_id": "", "consent_featured": "y", "topic": fill("speaker_offers.topic")},
        ),
        "the offer to speak",
    )
    return [url, report, "/my/letters", "/interactions/mppchats/mine", event]


def admin_uploads_a_roster(admin, fill) -> None:
    from crm.stakeholders.roster import read_shipped_roster

    rows = read_shipped_roster()
    first = next(row for row in rows if row["ed_number"] == "1")
    first.update(
        party=fill("elected_offices.party"),
        constituency_phone=fill("elected_offices.phone"),
        ola_profile_url=fill("elected_offices.profile_url"),
        cabinet_roles=fill("elected_offices.roles"),
    )
    token = _upload_preview(admin, "/directory/roster", rows)
    applied = admin.post("/directory/roster", {"token": token}).get_data(as_text=True)
    assert "Applied." in applied and not read_page(applied).live


def admin_previews_a_contact_sheet(admin) -> None:
    """The import preview shows the file's cells (nothing is stored until it is applied)."""
    _upload_preview(
        admin,
        "/directory/import",
        [{"name": SCRIPT + ATTRIBUTE, "title": ATTRIBUTE, "organization": SCRIPT, "notes": SCRIPT + ATTRIBUTE}],
    )


def _upload_preview(admin, page: str, rows: list[dict]) -> str:
    """Upload rows as a CSV file; the preview must hold no live markup. Returns the token that applies it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    data = {"csrf_token": admin.token(page), "file": (io.BytesIO(buffer.getvalue().encode()), "upload.csv")}
    html = admin.client.post(page, data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert not read_page(html).live, (page, read_page(html).live)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', html)
    assert token, re.findall(r"(?:invalid-feedback|alert-danger)[^>]*>\s*([^<]+)", html)
    return token.group(1)


def sendgrid_reports_a_bounce_and_an_error(app, fake_server, fill) -> None:
    """A bounce (signed event) whose reason carries the payload; a provider error message that does too."""
    from crm.outbox.models import OutboundMessage
    from tests.outbox.seams import send_due_messages

    class RefusingMailer(MemoryMailer):
        def send(self, message):
            raise PermanentFailure(fill("outbound_messages.last_error"))

    app.extensions["crm.mailer"], kept = RefusingMailer(), app.extensions["crm.mailer"]
    try:
        with app.app_context():
            send_due_messages()
            letter = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "letter"))
            message_id, address = letter.id, letter.to_address
            db.session.remove()
    finally:
        app.extensions["crm.mailer"] = kept
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"], key = fake_server.public_key(), app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"]
    try:
        event = {
            "event": "bounce",
            "sg_event_id": "xss-bounce",
            "email": address,
            "sg_message_id": "p.filter",
            "timestamp": int(datetime.now().timestamp()),
            "crm_message_id": str(message_id),
            "reason": fill("address_health.last_reason"),
        }
        body, headers = fake_server.signed([event])
        assert app.test_client().post("/webhooks/sendgrid", data=body, headers=headers).status_code < 300
    finally:
        app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = key


# --- the tests ---------------------------------------------------------------------------------------------------


def test_every_text_column_is_swept_or_exempt(app):
    """The sweep fills exactly SWEPT; every other text column is in COPIES or EXEMPT, with its reason."""
    columns = set(text_columns())
    swept = SWEPT | set(COPIES)
    assert not swept & set(EXEMPT), f"both swept and exempt: {sorted(swept & set(EXEMPT))}"
    assert columns - swept - set(EXEMPT) == set(), (
        "new text columns: type the payload into each in the stored-XSS sweep, or give it an EXEMPT entry saying "
        f"why no page can show a payload from it: {sorted(columns - swept - set(EXEMPT))}"
    )
    assert (swept | set(EXEMPT)) - columns == set(), f"gone from the models: {sorted((swept | set(EXEMPT)) - columns)}"


def test_every_free_text_form_field_is_swept_searched_or_dropped():
    """A new text field in any form needs a line in FORM_FIELDS: its column (swept or exempt), or its search page."""
    fields = free_text_form_fields()
    assert fields == set(FORM_FIELDS), f"FORM_FIELDS is out of date: {sorted(fields ^ set(FORM_FIELDS))}"
    columns = SWEPT | set(COPIES) | set(EXEMPT)
    unknown = {
        field: target
        for field, target in FORM_FIELDS.items()
        if isinstance(target, str) and "." in target and " " not in target and target not in columns
    }
    assert unknown == {}, f"form fields naming columns the sweep does not know: {unknown}"


def test_a_typed_name_that_fits_nobody_is_shown_back_as_text(app, seeded, make_user):
    """The participant, campaign-target and organization boxes echo an unknown name as text, never markup."""
    admin = Browser(app.test_client())
    make_user(role="admin", email="names-admin@example.org")
    admin.login("names-admin@example.org")
    payload = SCRIPT + ATTRIBUTE
    when = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    meeting = admin.post(
        "/interactions/new",
        {
            "kind": "meeting",
            "occurred_at": when,
            "title": "Meeting",
            "participants-0-who_name": payload,
            "participants-0-role": "attendee",
        },
    )
    campaign_id = new_campaign(admin, kind="fixed_targets")
    target = admin.post(f"/manage/campaigns/{campaign_id}/targets", {"person": "", "person_name": payload})
    person = admin.post(
        "/directory/people/new", {"full_name": "Someone", "jurisdiction": "", "organization_name": payload}
    )
    for response in (meeting, target, person):
        html = response.get_data(as_text=True)
        page = read_page(html)
        assert response.status_code == 200 and "is called" in html
        assert page.live == [] and any(payload in shown for shown in page.shown)


def test_web_addresses_that_are_not_http_are_refused(app, seeded, make_user):
    """A javascript: link would run when clicked, however well it is escaped: the forms refuse it."""
    from crm.programs.models import Program

    make_user("admin", email="links.admin@example.org")
    admin = Browser(app.test_client())
    admin.login("links.admin@example.org")
    with app.app_context():
        program = db.session.scalar(select(Program.id).where(Program.slug == "cracking"))
        db.session.remove()
    link = "javascript:alert(1)//https://example.org/"
    later = (datetime.now() + timedelta(days=9)).strftime("%Y-%m-%dT19:00")
    for page, data in [
        ("/directory/organizations/new", {"name": "Org", "kind": "regulator", "jurisdiction": "", "website": link}),
        ("/committee/asks/pra/ON", {"status": "operating", "source_url": link, "as_of": date.today().isoformat()}),
        (
            "/programs/manage/events/new",
            {
                "program_id": program,
                "title": "Webinar",
                "starts_at": later,
                "ends_at": later[:-5] + "20:00",
                "capacity": "9",
                "status": "open",
                "join_url": link,
            },
        ),
        ("/programs/manage/resources", {"program_id": program, "title": "Plan", "url": link, "stages": ["exams"]}),
        (
            "/interactions/posts/new",
            {"platform": "x", "url": link, "occurred_on": date.today().isoformat(), "posted_by": "ITPO"},
        ),
    ]:
        assert admin.post(page, data).status_code in (200, 400), page  # the form again, with the field's error
    columns = text_columns()
    with app.app_context():
        for column in WEB_ADDRESS_FORM_COLUMNS:
            assert db.session.scalar(select(columns[column]).where(columns[column].contains("javascript"))) is None
        db.session.remove()


WEB_ADDRESS_FORM_COLUMNS = (
    "organizations.website",
    "ask_statuses.source_url",
    "events.join_url",
    "program_resources.url",
    "interactions.url",
)


def test_no_page_renders_a_stored_payload_as_markup(app, seeded, make_user, mailbox, fake_server):
    from crm.campaigns.models import Letter
    from crm.programs.models import Program
    from crm.reference.models import ElectoralDistrict, Jurisdiction
    from crm.stakeholders.models import ElectedOffice

    fill = Payloads()
    admin_user = make_user("admin", email="sweep.admin@example.org")
    admin = Browser(app.test_client())
    admin.login("sweep.admin@example.org")
    with app.app_context():
        ontario_id = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        district_id = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == 1))
        programs = {p.slug: p.id for p in db.session.scalars(select(Program))}
        db.session.remove()

    member = member_joins_and_confirms(app, mailbox, fill)
    admin_uploads_a_roster(admin, fill)
    admin_previews_a_contact_sheet(admin)
    _posted(
        admin.post(
            "/admin/invitations",
            {"email": "invited.sweep@example.org", "role": "member", "name": fill("invitations.name")},
        ),
        "the invitation",
    )
    with app.app_context():
        mpp_id = db.session.scalar(
            select(ElectedOffice.person_id).where(
                ElectedOffice.district_id == district_id, ElectedOffice.current.is_(True)
            )
        )
        db.session.remove()
    made = admin_fills_the_directory(admin, fill) + [f"/directory/people/{mpp_id}"]
    made += admin_logs_interactions(admin, fill, made[1], admin_user.id)
    made += admin_writes_a_proposal_and_an_ask_status(admin, fill, ontario_id)
    campaign_id, slug = admin_launches_a_campaign(admin, fill)
    made += [f"/campaigns/{slug}", f"/manage/campaigns/{campaign_id}", f"/manage/campaigns/{campaign_id}/template"]
    program_pages = admin_plans_program_items(admin, fill, programs)
    made += program_pages
    member_pages = member_acts(member, fill, slug, district_id, mpp_id, program_pages[0])
    sendgrid_reports_a_bounce_and_an_error(app, fake_server, fill)
    assert set(fill.filled) == SWEPT, f"SWEPT does not match what the sweep typed: {set(fill.filled) ^ SWEPT}"
    _check_stored_as_typed(app, fill)

    with app.app_context():
        letter_id = db.session.scalar(select(Letter.id))
        db.session.remove()
    starts = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api", "/static"))
    ]
    seen = crawl(admin, made + [f"/manage/campaigns/{campaign_id}/letters/{letter_id}"] + starts, label="admin ")
    crawl(member, member_pages + [f"/my/letters/{letter_id}", "/account/data"] + starts, result=seen, label="member ")
    crawl(
        Browser(app.test_client()), [f"/campaigns/{slug}", "/proposals/ontario"] + starts, result=seen, label="visitor "
    )
    _search_for_the_payload(FORM_FIELDS, {"admin": admin, "member": member}, seen)

    assert seen.live_markup() == {}, "live markup on pages (a stored payload not escaped or sanitised)"
    assert seen.missing_csp == [], "pages without the strict CSP"
    unseen = sorted(column for column in SWEPT if not seen.pages_showing(fill.marker(column)))
    assert unseen == [], (
        f"no page shows these swept columns ({len(seen.pages)} pages read): move them to "
        f"EXEMPT with the reason, or find the page that shows them: {unseen}"
    )


def _search_for_the_payload(fields, browsers, seen) -> None:
    """Each search box, given the payload: the page shows it back escaped, like everything else."""
    for name, target in fields.items():
        if isinstance(target, Searched):
            query = {name.rsplit(".", 1)[1]: SCRIPT + ATTRIBUTE}
            response = browsers[target.role].get(target.page, query_string=query)
            assert response.status_code == 200, (name, response.status_code)
            seen.pages[f"{target.role} {target.page} searching {name}"] = read_page(response.get_data(as_text=True))


def _check_stored_as_typed(app, fill) -> None:
    """The payload reached each column as typed: a sanitised or refused value would make the sweep pass vacuously."""
    columns = text_columns()
    with app.app_context():
        for column, source in [(c, c) for c in fill.filled] + list(COPIES.items()):
            model_column = columns[column]
            stored = db.session.scalars(select(model_column).where(model_column.contains(fill.marker(source)))).all()
            assert any(ATTRIBUTE.lower() in (value or "").lower() for value in stored), (column, stored)
        db.session.remove()
