"""Nothing a user types produces a 500: every form and query answers with a 4xx or a page.

A walk over every route as several roles, then the letter, campaign and program forms filled from their real
pages (whose ids the walk cannot guess).
"""

import re

import pytest
from sqlalchemy import func, select

from crm.auth.access import ACCESS
from crm.campaigns.models import Letter
from tests.campaigns.conftest import district_id
from tests.security.conftest import concrete_url, log_in_as, table_allows

NASTY = [
    "",
    " ",
    "\x00",
    "a" * 10_000,
    "🙂" * 300,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "-1",
    "99999999999999999999",
    "99999999999",
    "\r\nBcc: x@example.org",
    "１２３",
]
# Query parameters and form fields that the pages read as numbers or choices, besides the text ones.
ID_LIKE = (
    "organization",
    "duplicate",
    "duplicate_id",
    "person",
    "district",
    "campaign",
    "event",
    "interaction",
    "proposal",
    "ask",
    "position",
    "tag",
    "party",
    "status",
    "jurisdiction",
    "types",
    "count",
    "format",
)


@pytest.mark.parametrize("role", [None, "member", "admin"])
def test_every_form_survives_hostile_values(app, browser, make_user, role):
    log_in_as(browser, make_user, role)
    token = browser.token("/login")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not table_allows(ACCESS[rule.endpoint], role):
            continue
        if rule.endpoint == "auth.logout":
            continue
        for value in NASTY:
            fields = {
                name: value
                for name in (
                    "email",
                    "password",
                    "confirm",
                    "current_password",
                    "full_name",
                    "postal_code",
                    "province",
                    "licensure_stage",
                    "graduation_year",
                    "role",
                    "active",
                    "q",
                    "next",
                    "name",
                    "title",
                    "body",
                    *ID_LIKE,
                )
            }
            response = browser.client.post(concrete_url(rule), data={**fields, "csrf_token": token})
            if rule.rule.startswith("/webhooks/") and response.status_code == 503:
                continue  # an unconfigured webhook says so (503, so the provider retries later)
            assert response.status_code < 500, (rule.rule, repr(value)[:40], response.status_code)


def test_every_get_route_survives_hostile_query_strings(app, browser, make_user):
    make_user(role="admin", email="hostile-get@example.org")
    browser.login("hostile-get@example.org")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static", "auth.logout"):
            continue
        for value in NASTY:
            query = {
                key: value
                for key in (
                    "q",
                    "page",
                    "limit",
                    "offset",
                    "province",
                    "postal_code",
                    "role",
                    "sort",
                    "kind",
                    "next",
                    *ID_LIKE,
                )
            }
            response = browser.get(concrete_url(rule), query_string=query)
            assert response.status_code < 500, (rule.rule, repr(value)[:40], response.status_code)


def test_an_id_in_a_url_too_large_for_the_database_is_not_found(app, browser, make_user):
    make_user(role="admin", email="huge-ids@example.org")
    browser.login("huge-ids@example.org")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "<int" not in rule.rule:
            continue
        url = re.sub(
            r"<(?:string:|path:)?[^>]+>", "nothing", re.sub(r"<int(?:\([^)]*\))?:[^>]+>", "99999999999", rule.rule)
        )
        assert browser.get(url).status_code == 404, url


# The letter pages parse recipients like "district-<id>" and "person-<id>": values shaped like those too.
LETTER_NASTY = NASTY + ["district-99999999999999999999", "person-²", "district-", "district-1x"]


def test_the_letter_pages_survive_hostile_values(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    token = browser.token("/my/letters")
    url = f"/campaigns/{campaign.slug}/write"
    for value in LETTER_NASTY:
        assert browser.get(url, query_string={"recipient": value, "postal_code": value}).status_code < 500, value
        data = {
            "csrf_token": token,
            "recipient": value,
            "template_id": value,
            "block-2": value,
            "block-3": value,
            "preview": "Preview",
        }
        assert browser.client.post(url, data=data).status_code < 500, value
        data = dict(data, recipient=f"district-{district_id(app, 1)}", send="Send")
        data.pop("preview")
        assert browser.client.post(url, data=data).status_code < 500, value
    assert session.scalar(select(func.count()).select_from(Letter)) <= 1


def test_the_lead_pages_survive_hostile_values(app, browser, make_campaign):
    campaign = make_campaign()
    browser.login(campaign.lead.email)
    token = browser.token("/manage/campaigns/new")
    fields = (
        "name",
        "slug",
        "hashtag",
        "summary",
        "kind",
        "jurisdiction_id",
        "mpp_address",
        "goal_letters",
        "goal_ridings",
        "starts_on",
        "ends_on",
        "status",
        "proposal_version_id",
        "subject",
        "person_id",
        "email",
        "blocks-0-kind",
        "blocks-0-body",
        "blocks-0-label",
        "blocks-0-min_length",
    )
    for value in LETTER_NASTY:
        data = {name: value for name in fields} | {"csrf_token": token}
        for page in (
            "/manage/campaigns/new",
            f"/manage/campaigns/{campaign.id}/edit",
            f"/manage/campaigns/{campaign.id}/template",
            f"/manage/campaigns/{campaign.id}/targets",
        ):
            assert browser.client.post(page, data=data).status_code < 500, (page, value)
        assert browser.get(f"/manage/campaigns/{campaign.id}", query_string={"page": value}).status_code < 500


PROGRAM_FIELDS = (
    "program_id",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "capacity",
    "status",
    "join_url",
    "route",
    "topic",
    "consent_featured",
    "decision",
    "offer_id",
    "attended",
    "url",
    "stages",
)


def _post_hostile_values(browser, urls):
    for url in urls:
        token = browser.token(url.rsplit("/", 1)[0] if url.endswith(("/register", "/cancel")) else "/home")
        for value in NASTY:
            data = {name: value for name in PROGRAM_FIELDS}
            response = browser.client.post(url, data={**data, "csrf_token": token})
            assert response.status_code < 500, (url, repr(value)[:40], response.status_code)


def test_program_forms_survive_hostile_values_from_staff(browser, make_user, make_event):
    event_id = make_event()
    make_user("admin", email="a@example.org")
    browser.login("a@example.org")
    _post_hostile_values(
        browser,
        [
            "/programs/manage/events/new",
            f"/programs/manage/events/{event_id}/edit",
            f"/programs/manage/events/{event_id}",
            f"/programs/manage/events/{event_id}/import",
            f"/programs/manage/events/{event_id}/speakers",
            "/programs/manage/resources",
            "/programs/manage/speakers/1/review",
        ],
    )


def test_program_forms_survive_hostile_values_from_members(browser, make_user, make_event):
    event_id = make_event()
    make_user("member", email="m@example.org")
    browser.login("m@example.org")
    _post_hostile_values(
        browser, ["/programs/speak", f"/programs/events/{event_id}/register", f"/programs/events/{event_id}/cancel"]
    )


def test_forms_posted_with_only_their_required_fields_save_or_explain(browser, make_user, session):
    """A client that leaves optional fields out (not even empty) gets the same answer as one that sends them empty."""
    from crm.stakeholders.models import Organization, Person

    make_user(role="admin", email="sparse-admin@example.org")
    browser.login("sparse-admin@example.org")
    assert (
        browser.post(
            "/directory/organizations/new", {"name": "Sparse Org", "kind": "ally", "jurisdiction": ""}
        ).status_code
        == 302
    )
    assert browser.post("/directory/people/new", {"full_name": "Sparse Person", "jurisdiction": ""}).status_code == 302
    person_id = session.scalar(select(Person.id).where(Person.full_name == "Sparse Person"))
    assert session.scalar(select(Organization.id).where(Organization.name == "Sparse Org"))
    stance = browser.post(
        f"/directory/people/{person_id}/stances",
        {"ask": "pra", "position": "supportive", "as_of": "2026-01-05"},
        page=f"/directory/people/{person_id}",
    )
    assert stance.status_code in (200, 302)
    post = browser.post(
        "/interactions/posts/new",
        {"platform": "linkedin", "occurred_on": "2026-01-05", "url": "https://example.org/p/1"},
        page="/interactions/posts/new",
    )
    assert post.status_code in (200, 302)


# Percent-encoded, as a client would send them: NUL (which PostgreSQL text refuses), invalid UTF-8, a long segment.
PATH_NASTY = ["a%00b", "%00", "%ED%A0%80", "%FF", "a" * 3000, "%F0%9F%99%82", "..%2F..%2Fetc"]


def test_every_route_survives_hostile_path_segments(app, browser, make_user):
    make_user(role="admin", email="hostile-path@example.org")
    browser.login("hostile-path@example.org")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not re.search(r"<(?!int)", rule.rule) or rule.endpoint == "static":
            continue
        for value in PATH_NASTY:
            url = re.sub(r"<(?:string:|path:)?[^>]+>", value, re.sub(r"<int(?:\([^)]*\))?:[^>]+>", "1", rule.rule))
            assert browser.get(url).status_code < 500, (rule.rule, value)


JSON_NASTY = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'[{"event": "x\\u0000", "sg_event_id": "\\ud800", "email": "a\\u0000@example.org"}]',
]


@pytest.mark.parametrize("role", [None, "admin"])
def test_every_post_route_survives_hostile_json_bodies(app, browser, make_user, role):
    log_in_as(browser, make_user, role)
    for rule in app.url_map.iter_rules():
        if (
            "POST" not in rule.methods
            or not table_allows(ACCESS[rule.endpoint], role)
            or rule.endpoint == "auth.logout"
        ):
            continue
        for body in JSON_NASTY:
            response = browser.client.post(concrete_url(rule), data=body, content_type="application/json")
            assert response.status_code < 500 or (rule.rule.startswith("/webhooks/") and response.status_code == 503), (
                rule.rule,
                body[:20],
                response.status_code,
            )
