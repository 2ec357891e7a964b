"""The campaign dashboard: progress, per day, by party, ridings, the delivery funnel, the map."""

from __future__ import annotations

import re
from datetime import datetime

import pytest


@pytest.fixture
def lead_browser(browser, make_campaign):
    campaign = make_campaign(goal_letters=10, goal_ridings=20)
    browser.login(campaign.lead.email)
    return browser, campaign


def _page(browser, campaign, query: str = "") -> str:
    response = browser.get(f"/dashboards/campaigns/{campaign.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lead_sees_progress_against_the_goal_and_ridings_of_124(lead_browser, add_letters):
    browser, campaign = lead_browser
    add_letters(campaign, [(1, "delivered", None), (1, "queued", None), (2, "bounced", None)])
    html = _page(browser, campaign)
    assert "of a goal of 10" in html
    assert re.search(r'display-6">2</div>\s*<div>ridings reached of 124 \(goal 20\)', html)
    assert 'value="30"' in html  # 3 of 10 letters


def test_delivery_funnel_counts_letters_by_their_outbox_status(lead_browser, add_letters):
    browser, campaign = lead_browser
    add_letters(
        campaign,
        [
            (1, "queued", None),
            (2, "sending", None),
            (3, "accepted", None),
            (4, "delivered", None),
            (5, "delivered", None),
            (6, "bounced", None),
            (7, "dropped", None),
            (8, "failed", None),
        ],
    )
    html = _page(browser, campaign)
    for stage, count in (
        ("Queued", 2),
        ("Accepted by the mail service", 1),
        ("Delivered", 2),
        ("Bounced", 2),
        ("Failed", 1),
    ):
        assert re.search(rf'<th scope="row">{stage}</th><td class="text-end">{count}</td>', html), stage


def test_map_shades_each_riding_and_names_it_with_its_count(lead_browser, add_letters, app):
    from crm.dashboards.riding_map import shapes

    browser, campaign = lead_browser
    add_letters(campaign, [(1, "delivered", None)] * 3 + [(2, "delivered", None)])
    html = _page(browser, campaign)
    assert html.count("<path ") >= 124
    assert "<title>Ajax: 3 letters</title>" in html
    assert "<title>Algoma—Manitoulin: 1 letter</title>" in html
    assert 'class="map-c0"' in html and 'class="map-c4"' in html
    assert "style=" not in html
    assert len(shapes()) == 124


def test_top_and_untouched_ridings_show_where_to_push_next(lead_browser, add_letters):
    browser, campaign = lead_browser
    add_letters(campaign, [(1, "delivered", None)] * 2 + [(2, "delivered", None)])
    html = _page(browser, campaign)
    top = html.split("Top ridings")[1].split("</ol>")[0]
    assert top.index("Ajax: 2") < top.index("Algoma—Manitoulin: 1")
    assert "Untouched ridings (122)" in html


def test_letters_per_day_and_the_date_filter(lead_browser, add_letters):
    browser, campaign = lead_browser
    add_letters(
        campaign,
        [
            (1, "delivered", datetime(2026, 3, 1, 10)),
            (2, "delivered", datetime(2026, 3, 1, 12)),
            (3, "delivered", datetime(2026, 3, 5, 9)),
        ],
    )
    html = _page(browser, campaign)
    assert '<td>2026-03-01</td><td class="text-end">2</td>' in html
    filtered = _page(browser, campaign, "?start=2026-03-02&end=2026-03-31")
    assert "2026-03-01" not in filtered.split("Letters per day")[1]
    assert re.search(r'display-6">1</div>', filtered)


def test_a_bad_date_is_reported_not_a_500(lead_browser):
    browser, campaign = lead_browser
    html = _page(browser, campaign, "?start=yesterday&end=2026-13-45")
    assert "must be a date like" in html


def test_letters_by_party_use_the_party_at_sending(lead_browser, add_letters):
    browser, campaign = lead_browser
    add_letters(campaign, [(1, "delivered", None), (2, "delivered", None)])
    html = _page(browser, campaign)
    assert "Letters by party" in html and "No letters yet" not in html.split("Letters by party")[1][:400]


def test_members_who_joined_through_the_campaign_are_counted_with_those_who_wrote(
    lead_browser, make_campaign, add_letters, app
):
    """Recorded at sign-up: writers who were already members do not count; the date range is the day they joined."""
    from sqlalchemy import select, update

    from crm.auth.models import User
    from crm.extensions import db
    from crm.members.models import MemberProfile

    browser, campaign = lead_browser
    other = make_campaign()
    add_letters(campaign, [(1, "delivered", None), (2, "delivered", None)])  # members already: not counted
    add_letters(other, [(3, "delivered", None)])
    with app.app_context():
        profiles = list(db.session.scalars(select(MemberProfile.id).join(User).order_by(MemberProfile.id)))
        joined_here, joined_there = profiles[:1], profiles[2:]
        db.session.execute(
            update(MemberProfile)
            .where(MemberProfile.id.in_(joined_here))
            .values(joined_via_campaign_id=campaign.id, created_at=datetime(2026, 3, 2))
        )
        db.session.execute(
            update(MemberProfile).where(MemberProfile.id.in_(joined_there)).values(joined_via_campaign_id=other.id)
        )
        for n in range(2):  # joined through the campaign, not written yet
            user = User(email=f"new{n}@example.org", name="New", password_hash="x", role="member")
            db.session.add(user)
            db.session.flush()
            db.session.add(
                MemberProfile(user_id=user.id, joined_via_campaign_id=campaign.id, created_at=datetime(2026, 3, 20))
            )
        db.session.commit()
        db.session.remove()
    html = _page(browser, campaign)
    assert re.search(
        r'display-6">3</div>\s*<div>members joined ITPO through this campaign;\s*1 of them have written', html
    )
    assert "Counted when someone signs up from this campaign" in html
    early = _page(browser, campaign, "?start=2026-03-01&end=2026-03-10")
    assert re.search(
        r'display-6">1</div>\s*<div>members joined ITPO through this campaign in these dates;\s*1 of them', early
    )


def test_committee_and_members_cannot_open_a_campaign_dashboard(browser, make_campaign, make_user):
    campaign = make_campaign()
    for role in ("committee", "member"):
        user = make_user(role=role)
        browser.login(user.email)
        assert browser.get(f"/dashboards/campaigns/{campaign.id}").status_code == 403
        assert browser.get(f"/dashboards/campaigns/{campaign.id}/by-party.csv").status_code == 403
        browser.logout()


def test_unknown_campaign_is_404(browser, make_user):
    browser.login(make_user(role="lead").email)
    assert browser.get("/dashboards/campaigns/999999").status_code == 404


def test_dashboard_queries_do_not_grow_with_letters(lead_browser, add_letters, count_queries):
    browser, campaign = lead_browser
    add_letters(campaign, [(1, "delivered", None)])
    _page(browser, campaign)
    with count_queries() as few:
        _page(browser, campaign)
    add_letters(campaign, [(n % 120 + 1, "delivered", None) for n in range(60)])
    with count_queries() as many:
        _page(browser, campaign)
    assert many.count == few.count
    assert few.count <= 14


def test_map_classes_are_quartiles_so_one_busy_riding_does_not_wash_out_the_rest():
    from crm.dashboards.riding_map import class_for, shading_classes

    classes = shading_classes([0, 1, 2, 3, 4, 5, 6, 7, 500])
    assert classes[0] == (0, 0, "map-c0") and classes[-1][2] == "map-c4" and len(classes) == 5
    assert class_for(0, classes) == "map-c0" and class_for(2, classes) != class_for(7, classes)
    assert class_for(500, classes) == "map-c4"
    assert shading_classes([0, 0]) == [(0, 0, "map-c0")]
