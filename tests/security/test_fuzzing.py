"""Property-based fuzzing (hypothesis) of what people type: the join form, postal codes, letters, imports.

Whatever the input, the answer is a page or a field error — never a 500 — and nothing half-saved.
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.reference.services import PostalCodeError, normalise_postal_code

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@given(st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_postal_code_normaliser_either_normalises_or_explains(text):
    try:
        code = normalise_postal_code(text)
    except PostalCodeError as error:
        assert str(error)
    else:
        assert len(code) == 7 and code[3] == " " and code == normalise_postal_code(code)


@given(st.from_regex(r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][ -]?[0-9][ABCEGHJ-NPRSTV-Z][0-9]", fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_every_well_formed_postal_code_is_accepted(text):
    assert normalise_postal_code(text.lower()) == normalise_postal_code(text)


@given(
    full_name=TEXT,
    email=TEXT,
    password=TEXT,
    postal_code=st.text(max_size=12),
    province=st.sampled_from(["ON", "BC", "QC", "XX", ""]),
    year=st.text(string.digits + "-", max_size=6),
)
@FUZZ
def test_join_never_answers_500(app, full_name, email, password, postal_code, province, year):
    from crm.extensions import limiter
    from tests.conftest import Browser

    limiter.reset()
    browser = Browser(app.test_client())
    response = browser.post(
        "/join",
        {
            "full_name": full_name,
            "email": email,
            "password": password,
            "postal_code": postal_code,
            "province": province,
            "graduation_year": year,
        },
    )
    assert response.status_code in (200, 302, 400, 413, 429)


@given(query=TEXT)
@FUZZ
def test_lookup_api_never_answers_500(client, query):
    response = client.get("/api/v1/lookup", query_string={"postal_code": query})
    assert response.status_code in (200, 400, 404) and response.is_json


@given(story=TEXT, editable=TEXT)
@FUZZ
def test_letter_text_never_answers_500_or_renders_as_a_template(app, story, editable):
    """A member's story is plain text: template syntax in it is never evaluated."""
    from crm.campaigns.services import html_body

    html = html_body(story + editable)
    assert "<script" not in html.lower()
    if "{{ 7*7 }}" in story:
        assert "49" not in html or "49" in story


@given(content=st.binary(max_size=2000))
@FUZZ
def test_stakeholder_import_of_any_bytes_is_refused_cleanly_or_previewed(app, content):
    """Any bytes: either a clear error (ValidationError) or a dry-run report; the directory never changes."""
    from sqlalchemy import func, select

    from crm.extensions import db
    from crm.lib.errors import ValidationError
    from crm.stakeholders.files import read_table
    from crm.stakeholders.imports import import_stakeholders
    from crm.stakeholders.models import Person

    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Person))
        try:
            import_stakeholders(db.session, read_table("upload.csv", content), apply=False)
        except ValidationError as error:
            assert error.message
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Person)) == before
        db.session.remove()
