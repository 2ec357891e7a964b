"""Member evidence: counts by riding, province, stage, country, specialty and years; small counts withheld."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db


@pytest.fixture
def add_members(app):
    """add_members(n, **profile): n members with the same profile values."""
    from crm.auth.models import User
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict

    counter = {"n": 0}

    def _add(n, riding=None, **profile):
        with app.app_context():
            district_id = (db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == riding))
                           if riding else None)
            for _ in range(n):
                counter["n"] += 1
                user = User(email=f"m{counter['n']}@example.org", name="M", password_hash="x", role="member")
                db.session.add(user)
                db.session.flush()
                db.session.add(MemberProfile(user_id=user.id, district_id=district_id, **profile))
            db.session.commit()
            db.session.remove()

    return _add


def _row(html: str, label: str) -> str | None:
    match = re.search(rf'<th scope="row">{re.escape(label)}</th><td class="text-end">([^<]+)</td>', html)
    return match.group(1) if match else None


def test_counts_under_five_are_shown_as_fewer_than_five(browser, make_user, add_members):
    add_members(6, riding=1, province="ON", licensure_stage="pra", training_country="Egypt", specialty="Family",
                graduation_year=date.today().year - 12)
    add_members(2, riding=2, province="BC", licensure_stage="exams", training_country="India")
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members").get_data(as_text=True)
    assert _row(html, "Ajax") == "6"
    assert _row(html, "Algoma—Manitoulin") == "fewer than 5"
    assert _row(html, "BC") == "fewer than 5"
    assert _row(html, "PRA candidate") == "6"
    assert _row(html, "India") == "fewer than 5"
    assert _row(html, "10 to 14 years") == "6"
    assert _row(html, "Not given") == "fewer than 5"
    assert ">2<" not in html


def test_province_filter_narrows_every_table(browser, make_user, add_members):
    add_members(5, province="ON", training_country="Egypt")
    add_members(7, province="BC", training_country="Iran")
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members?province=bc").get_data(as_text=True)
    assert _row(html, "Iran") == "7" and _row(html, "Egypt") is None
    bad = browser.get("/dashboards/members?province=ZZ<script>").get_data(as_text=True)
    assert "Choose a province" in bad and _row(bad, "Egypt") == "5"


def test_members_cannot_see_member_evidence(browser, make_user):
    browser.login(make_user(role="member").email)
    assert browser.get("/dashboards/members").status_code == 403
    assert browser.get("/dashboards/members/country.csv").status_code == 403


def test_the_letter_placeholder_uses_the_same_rule(app, add_members):
    from crm.campaigns.services import members_in_riding
    from crm.members.services import shown_count
    from crm.reference.models import ElectoralDistrict

    add_members(4, riding=3)
    with app.app_context():
        district = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == 3))
        assert members_in_riding(db.session, district) == shown_count(4) == "fewer than 5"
        db.session.remove()
    assert shown_count(5) == "5"
