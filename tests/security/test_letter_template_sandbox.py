"""Letter templates render only in the hardened sandbox; what members type is never rendered as a template."""

import time

import pytest
from sqlalchemy import func, select

from crm.campaigns.models import Letter, LetterTemplate
from crm.campaigns.sandbox import PLACEHOLDERS, SAMPLE_CONTEXT, TemplateProblem, render
from tests.campaigns.conftest import TEMPLATE_PAGE, district_id, new_campaign, send_letter, template_form


def test_placeholders_render_from_the_fixed_set():
    text = render("Dear {{ representative_title }} {{ representative_name }}, {{ hashtag|upper }}", SAMPLE_CONTEXT)
    assert text == "Dear MPP Jane Example, #SKILLSTOHELP"


def test_every_documented_placeholder_renders():
    for name in PLACEHOLDERS:
        assert render("{{ " + name + " }}", SAMPLE_CONTEXT) == SAMPLE_CONTEXT[name]


def test_if_blocks_work():
    assert render("{% if hashtag %}Follow {{ hashtag }}{% endif %}", SAMPLE_CONTEXT) == "Follow #skillstohelp"


@pytest.mark.parametrize(
    "source, message",
    [
        ("{{ ''.__class__.__mro__ }}", "not allowed"),
        ("{{ member_name.__class__ }}", "not allowed"),
        ("{% for x in range(10**9) %}x{% endfor %}", "'for' is not allowed"),
        ("{{ 'a' * 1000000000 }}", "Repeating text"),
        ("{{ member_name * 100000 }}", "Repeating text"),
        ("{{ 9 ** 999999 }}", "'\\*\\*' is not allowed"),
        ("{{ '%0100000000d' % 1 }}", "'%' is not allowed"),
        ("{{ undefined_thing }}", "not a placeholder"),
        ("{{ lipsum() }}", "'call' is not allowed"),
        ("{{ member_name|replace('', 'xxxxxxxxxx') }}", "filter 'replace' is not allowed"),
        ("{{ member_name|center(1000000000) }}", "filter 'center' is not allowed"),
        ("{% set x = 1 %}", "'assign' is not allowed"),
        ("{% macro m() %}{% endmacro %}", "'macro' is not allowed"),
        ("{% include 'base.html' %}", "'include' is not allowed"),
        ("{% extends 'base.html' %}", "'extends' is not allowed"),
        ("{{ config }}", "not a placeholder"),
        ("{{ member_name[0] }}", "Indexing"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ member_name", "syntax error"),
    ],
)
def test_dangerous_or_broken_templates_are_refused_with_a_message(source, message):
    started = time.perf_counter()
    with pytest.raises(TemplateProblem, match=message):
        render(source, SAMPLE_CONTEXT)
    assert time.perf_counter() - started < 1


def test_output_is_capped():
    with pytest.raises(TemplateProblem, match="longer than"):
        render("{{ member_name }}" * 1000, SAMPLE_CONTEXT, max_chars=10_000)


def test_a_template_longer_than_the_cap_is_refused():
    with pytest.raises(TemplateProblem, match="at most"):
        render("x" * 20_001, SAMPLE_CONTEXT)


def test_render_time_is_capped():
    with pytest.raises(TemplateProblem, match="too long"):
        render("{{ member_name }}" * 100, SAMPLE_CONTEXT, max_seconds=0.0)


def test_values_are_not_rendered_again():
    context = dict(SAMPLE_CONTEXT, member_name="{{ 7 * 7 }}")
    assert render("{{ member_name }}", context) == "{{ 7 * 7 }}"


def test_a_template_injection_in_a_personal_story_is_just_text(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    story = "{{ ''.__class__.__mro__ }} {% for x in range(10**9) %}x{% endfor %} {{ 'a' * 10**9 }} my story."
    send_letter(browser, campaign, f"district-{district_id(app, 1)}", **{"block-3": story})
    letter = session.scalar(select(Letter))
    assert story in letter.body


def test_a_template_injection_by_a_lead_is_rejected_at_save_time(browser, make_user, session, seeded):
    lead = make_user(role="lead")
    browser.login(lead.email)
    campaign_id = new_campaign(browser)
    for body in (
        "{{ ''.__class__.__mro__ }}",
        "{% for x in range(10**9) %}x{% endfor %}",
        "{{ 'a' * 10**9 }}",
        "{{ unknown_placeholder }}",
    ):
        response = browser.post(TEMPLATE_PAGE.format(campaign_id), template_form("Hello", ("locked", body, 0)))
        assert response.status_code == 200
        assert "Block 1:" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(LetterTemplate)) == 0
