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
            district_id = (
                db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == riding))
                if riding
                else None
            )
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


def _tables(html: str) -> dict[str, list[tuple[str, str]]]:
    """Each table on the page by its key: (label, count as shown) rows."""
    tables = {}
    for key, body in re.findall(
        r'<section class="col-md-6 mb-4" aria-labelledby="t-([a-z]+)">(.*?)</section>', html, re.S
    ):
        tables[key] = re.findall(r'<th scope="row">([^<]+)</th><td class="text-end">([^<]+)</td>', body)
    return tables


def _total(html: str) -> int:
    return int(re.search(r"Who ITPO's members are: (\d+) members", html).group(1))


@pytest.fixture
def varied_members(add_members):
    """38 members: 20 in Ajax, 9 and 7 in two other ridings, 2 in British Columbia."""
    year = date.today().year
    add_members(
        20,
        riding=1,
        province="ON",
        licensure_stage="pra",
        training_country="Egypt",
        specialty="Family",
        graduation_year=year - 12,
    )
    add_members(
        9,
        riding=3,
        province="ON",
        licensure_stage="exams",
        training_country="India",
        specialty="Internal",
        graduation_year=year - 3,
    )
    add_members(7, riding=4, province="ON", licensure_stage="carms", training_country="Iran", graduation_year=year - 22)
    add_members(2, riding=2, province="BC", licensure_stage="exams", training_country="India")


def test_counts_under_five_are_shown_as_fewer_than_five(browser, make_user, varied_members):
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members").get_data(as_text=True)
    tables = _tables(html)
    assert _total(html) == 38
    assert dict(tables["riding"])["Ajax"] == "20"
    assert dict(tables["riding"])["Algoma—Manitoulin"] == "fewer than 5"
    assert dict(tables["province"])["BC"] == "fewer than 5"
    assert dict(tables["stage"])["PRA candidate"] == "20" and dict(tables["country"])["Iran"] == "7"
    assert dict(tables["years"])["Not given"] == "fewer than 5"
    assert ">2<" not in html


def test_no_small_count_can_be_worked_out_from_the_total_and_the_rows_shown(browser, make_user, varied_members):
    """The total minus the rows shown would give a lone small row away: the next smallest rows are withheld too."""
    from tests.members.attacker import assert_nothing_can_be_worked_out

    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members").get_data(as_text=True)
    tables = _tables(html)
    assert set(tables) == {"riding", "province", "stage", "country", "specialty", "years"}
    riding = dict(tables["riding"])
    assert list(riding.values()).count("5 or more") == 2  # beside the one riding with fewer than 5
    assert dict(tables["province"])["ON"] == "5 or more"  # else 38 - 36 = 2 members in BC
    for rows in tables.values():
        assert_nothing_can_be_worked_out(rows, _total(html))
    download = browser.get("/dashboards/members/riding.csv").get_data(as_text=True)
    assert "5 or more" in download and ",9" not in download and ",7" not in download


def test_a_table_that_could_single_someone_out_is_withheld_whole(browser, make_user, add_members):
    add_members(5, riding=1, province="ON", licensure_stage="pra")
    add_members(1, riding=2, province="ON", licensure_stage="exams")
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members").get_data(as_text=True)
    riding = html.split('id="t-riding"')[1].split("</section>")[0]
    assert "Withheld: with so few members in some rows" in riding and "Ajax" not in riding
    assert "Withheld" in browser.get("/dashboards/members/riding.csv").get_data(as_text=True)


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
    from crm.members.small_counts import shown_count
    from crm.reference.models import ElectoralDistrict

    add_members(4, riding=3)
    with app.app_context():
        district = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == 3))
        assert members_in_riding(db.session, district) == shown_count(4) == "fewer than 5"
        db.session.remove()
    assert shown_count(5) == "5"


def test_campaign_filter_counts_the_members_who_wrote_in_it_or_joined_through_it(
    browser, make_user, make_campaign, add_letters, add_members, app
):
    from sqlalchemy import update

    from crm.campaigns.models import Letter
    from crm.members.models import MemberProfile

    first, second = make_campaign(name="PRA now"), make_campaign(name="Residency")
    add_letters(first, [(1, "delivered", None)] * 6)
    add_letters(second, [(2, "delivered", None)] * 8)
    add_members(7, riding=5, province="ON")
    with app.app_context():
        writers = select(Letter.user_id).where(Letter.campaign_id == second.id)
        db.session.execute(
            update(MemberProfile).where(MemberProfile.user_id.in_(writers)).values(joined_via_campaign_id=first.id)
        )  # joined through the first, wrote in the second
        db.session.commit()
        db.session.remove()
    browser.login(make_user(role="committee").email)
    everyone = browser.get("/dashboards/members").get_data(as_text=True)
    assert _total(everyone) == 21
    wrote = browser.get(f"/dashboards/members?campaign={first.id}").get_data(as_text=True)
    assert _total(wrote) == 6 and "who wrote a letter in it, “PRA now”" in wrote
    assert _tables(wrote)["riding"] == [("Ajax", "6")]
    joined = browser.get(f"/dashboards/members?campaign={first.id}&how=joined").get_data(as_text=True)
    assert _total(joined) == 8 and "who joined ITPO through it" in joined
    csv = browser.get(f"/dashboards/members/riding.csv?campaign={first.id}&how=joined").get_data(as_text=True)
    assert "Algoma—Manitoulin,8" in csv


@pytest.mark.parametrize(
    "query", ["campaign=999999", "campaign=abc", "campaign=1%20OR%201=1", "campaign=-1", "how=everyone"]
)
def test_an_unknown_campaign_is_reported_and_ignored(browser, make_user, add_members, make_campaign, query):
    make_campaign()
    add_members(6, riding=1, province="ON")
    browser.login(make_user(role="committee").email)
    response = browser.get(f"/dashboards/members?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _total(html) == 6
    if query.startswith("campaign"):
        assert "Choose a campaign from the list" in html


def test_a_draft_campaign_is_not_offered(browser, make_user, make_campaign):
    draft = make_campaign(status="draft", name="Secret plan")
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/members").get_data(as_text=True)
    assert "Secret plan" not in html
    assert "Choose a campaign" in browser.get(f"/dashboards/members?campaign={draft.id}").get_data(as_text=True)


def test_the_campaign_filter_runs_the_same_queries_however_many_letters(
    browser, make_user, make_campaign, add_letters, count_queries
):
    campaign = make_campaign()
    add_letters(campaign, [(1, "delivered", None)])
    browser.login(make_user(role="committee").email)
    url = f"/dashboards/members?campaign={campaign.id}"
    browser.get(url)
    with count_queries() as few:
        assert browser.get(url).status_code == 200
    with count_queries() as unfiltered:
        assert browser.get("/dashboards/members").status_code == 200
    add_letters(campaign, [(n % 100 + 1, "delivered", None) for n in range(40)])
    with count_queries() as many:
        assert browser.get(url).status_code == 200
        assert browser.get(f"{url}&how=joined").status_code == 200
    assert many.count == 2 * few.count
    assert few.count == unfiltered.count
