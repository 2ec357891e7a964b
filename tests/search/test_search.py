"""The staff bar's one search: every kind of record by what people call it, grouped, best first; bad input
gets a clear answer; the same number of queries whatever matches."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.interactions.conftest import add_interaction


def _search(browser, q: str) -> str:
    response = browser.get("/search", query_string={"q": q})
    assert response.status_code == 200, q
    return response.get_data(as_text=True)


def _groups(html: str) -> list[str]:
    return re.findall(r'<h2 class="h5" id="results-([a-z]+)">', html)


def test_cpso_finds_the_college_first_by_its_acronym(browser, committee, stakeholders):
    html = _search(browser, "cpso")
    assert _groups(html)[0] == "organizations"
    first = re.search(r'<a href="([^"]+)" class="fw-semibold search-hit">([^<]+)</a>', html)
    assert first.group(1) == f"/directory/organizations/{stakeholders.cpso}"
    assert first.group(2) == "College of Physicians and Surgeons of Ontario (CPSO)"


def test_the_staff_bar_carries_the_search_box_and_members_see_none(browser, committee, make_user):
    html = browser.get("/home").get_data(as_text=True)
    assert 'id="staff-search-q"' in html and 'aria-keyshortcuts="/"' in html and "js/search.js" in html
    browser.logout()
    make_user(email="member@example.org")
    browser.login("member@example.org")
    html = browser.get("/home").get_data(as_text=True)
    assert 'id="staff-search-q"' not in html and "js/search.js" not in html
    assert browser.get("/search?q=cpso").status_code == 403


def test_each_kind_is_found_by_what_people_call_it(app, browser, committee, stakeholders, make_user):
    from crm.proposals.models import Proposal
    from crm.reference.models import Jurisdiction

    with app.app_context():
        on = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
        db.session.add(Proposal(jurisdiction_id=on.id, title="Proposal to Ontario", slug="ontario"))
        db.session.commit()
        db.session.remove()
    add_interaction(
        app,
        occurred_at=datetime.now() - timedelta(days=1),
        title="Coffee with the registrar",
        summary="They asked about supervised practice.",
        hashtags="#skillstohelp",
        person_ids=[stakeholders.registrar],
    )
    make_user(email="zelda.member@example.org", name="Zelda Memberson")
    expectations = {
        "registrar": ("people", "Nadia Registrar"),
        "supervised practice": ("interactions", "Coffee with the registrar"),
        "#skillstohelp": ("interactions", "Coffee with the registrar"),
        "skillstohelp": ("interactions", "Coffee with the registrar"),
        "ontario": ("proposals", "Proposal to Ontario"),
        "zelda.member@": ("members", "Zelda Memberson"),
        "memberson": ("members", "Zelda Memberson"),
        "medical council": ("organizations", "Medical Council of Canada (MCC)"),
    }
    for q, (kind, title) in expectations.items():
        html = _search(browser, q)
        section = html[html.index(f'id="results-{kind}"') :]
        assert title in section.split("</section>")[0], q


def test_ridings_find_their_member_without_accents_or_dashes(roster, browser, committee):
    for q in ("mushkegowuk", "Mushkegowuk James Bay", "orleans", "ORLÉANS"):
        html = _search(browser, q)
        assert "ridings" in _groups(html), q
    assert "Stephen Blais" in _search(browser, "orleans")


def test_accents_and_case_are_ignored_on_both_databases(app, browser, committee):
    from crm.stakeholders.models import Organization, Person

    with app.app_context():
        quebec = Organization(name="Collège des médecins du Québec", acronym="CMQ", kind="regulator")
        db.session.add_all([quebec, Person(full_name="Émile Côté", organization=quebec)])
        db.session.commit()
        db.session.remove()
    for q in ("cote", "CÔTÉ", "Emile"):
        assert "Émile Côté" in _search(browser, q), q
    for q in ("quebec", "MEDECINS du", "collège", "cmq"):
        assert "Collège des médecins du Québec" in _search(browser, q), q


def test_exact_and_prefix_names_come_before_names_that_only_contain_the_text(app, browser, committee):
    from crm.stakeholders.models import Person

    with app.app_context():
        db.session.add_all(Person(full_name=name) for name in ["Anna Kowalski", "Kowal", "Joanna Kowalczyk"])
        db.session.commit()
        db.session.remove()
    html = _search(browser, "kowal")
    names = ["Kowal", "Anna Kowalski", "Joanna Kowalczyk"]
    assert sorted(names, key=html.index) == names


@pytest.mark.parametrize(
    ("q", "answer"),
    [
        ("%%%", "punctuation alone matches nothing"),
        ("?!.,;:-()", "punctuation alone matches nothing"),
        ("#", "punctuation alone matches nothing"),
        ("a", "Type at least 2 characters"),
        ("", "Press <kbd>/</kbd> anywhere"),
    ],
)
def test_a_search_with_nothing_to_look_for_says_what_to_type(browser, committee, q, answer):
    assert answer in _search(browser, q)


@pytest.mark.parametrize("q", ["50%", "a_b", "back\\slash", "(cpso", "cp%o", "c_so", "[a-z]*", "'; drop table x; --"])
def test_wildcards_and_metacharacters_mean_themselves(app, browser, committee, stakeholders, q):
    """`%` and `_` are LIKE's wildcards: escaped, "cp%o" finds no CPSO; nothing here is a 500."""
    html = _search(browser, q)
    assert "College of Physicians and Surgeons of Ontario" not in html
    assert "Nothing matches" in html


def test_metacharacters_in_a_name_are_found_literally(app, browser, committee):
    from crm.stakeholders.models import Person

    with app.app_context():
        db.session.add_all([Person(full_name="Percy 50%_off (Bob)"), Person(full_name="Percy 500 off")])
        db.session.commit()
        db.session.remove()
    for q in ("50%_off", "%_off (", "(Bob)"):
        html = _search(browser, q)
        assert "Percy 50%_off (Bob)" in html and "Percy 500 off" not in html, q


def test_a_ten_thousand_character_search_is_cut_short_and_says_so(browser, committee, stakeholders):
    html = _search(browser, "cpso " * 2000)
    assert "Only the first 200 characters were searched." in html
    assert _search(browser, "x" * 10_000).count("Nothing matches") == 1


def test_the_query_count_is_the_same_for_one_match_and_many(app, browser, committee, stakeholders, count_queries):
    from crm.stakeholders.models import Organization, Person

    _search(browser, "zzz-nothing")
    with count_queries() as none:
        _search(browser, "zzz-nothing")
    with app.app_context():
        college = db.session.get(Organization, stakeholders.cpso)
        db.session.add_all(Person(full_name=f"Registrar Deputy {n}", organization=college) for n in range(12))
        db.session.commit()
        db.session.remove()
    with count_queries() as many:
        html = _search(browser, "registrar")
    assert "See every match in people" in html
    assert many.count == none.count


def test_the_people_page_points_to_the_organization_when_no_one_matches(browser, committee, app):
    from crm.stakeholders.models import Organization

    with app.app_context():
        db.session.add(
            Organization(name="College of Physicians and Surgeons of Ontario", acronym="CPSO", kind="regulator")
        )
        db.session.commit()
        college = db.session.scalar(select(Organization.id))
        db.session.remove()
    html = browser.get("/directory/people?q=cpso").get_data(as_text=True)
    assert "No one matches" in html
    assert f'href="/directory/organizations/{college}"' in html
    assert "College of Physicians and Surgeons of Ontario" in html


def test_people_filtered_by_an_organization_name_it_not_its_number(browser, committee, stakeholders):
    html = browser.get(f"/directory/people?organization={stakeholders.cpso}").get_data(as_text=True)
    assert "People at <a" in html and "College of Physicians and Surgeons of Ontario (CPSO)</a>" in html
    for hostile in ("99999999999999", "-4", "abc"):
        assert browser.get(f"/directory/people?organization={hostile}").status_code == 200, hostile


def test_a_members_exact_email_comes_first(browser, committee, make_user):
    make_user(email="xsam@example.org", name="Aaron First")  # first by name; its email only contains the text
    make_user(email="sam@example.org", name="Zed Last")
    html = _search(browser, "SAM@example.org")
    members = html[html.index('id="results-members"') :]
    assert members.index("Zed Last") < members.index("Aaron First")
