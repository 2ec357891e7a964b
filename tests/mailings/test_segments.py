"""Segments: who a mailing can reach, counted before anything is sent."""

from __future__ import annotations

from sqlalchemy import select

from crm.extensions import db
from crm.mailings.segments import count_members
from tests.mailings.conftest import district_id, make_segment, segment_id


def test_a_segment_leaves_out_members_who_cannot_be_mailed(app, session, make_reachable, make_user):
    from crm.outbox.models import AddressHealth, Suppression

    reachable = make_reachable()
    make_reachable(consent=False)  # said no
    changed_mind = make_reachable()
    make_reachable(confirmed=False)  # never confirmed
    unsubscribed = make_reachable()
    failing = make_reachable()
    inactive = make_reachable()
    make_user(role="lead")  # staff are not members
    from crm.auth.models import User
    from crm.members.models import ConsentRecord

    session.add(
        ConsentRecord(
            user_id=changed_mind.id,
            purpose="itpo_email",
            granted=False,
            wording="No",
            wording_version="1",
            source="consent_page",
        )
    )
    session.add(Suppression(address=unsubscribed.email, reason="unsubscribe"))
    session.add(AddressHealth(address=failing.email, bounces=3, failing=True))
    session.get(User, inactive.id).active = False
    session.commit()
    assert count_members(session, {}) == 1
    from crm.mailings.segments import stream_members

    assert [row[0] for chunk in stream_members(session, {}) for row in chunk] == [reachable.id]


def test_filters_narrow_the_segment(app, session, make_reachable, make_campaign):
    from crm.members.models import MemberProfile

    first = make_reachable(riding=1)
    make_reachable(riding=2)
    profile = session.scalar(select(MemberProfile).where(MemberProfile.user_id == first.id))
    profile.licensure_stage, profile.training_country = "pra", "Egypt"
    session.commit()
    assert count_members(session, {"district_ids": [district_id(app, 1)]}) == 1
    assert count_members(session, {"licensure_stages": ["pra"]}) == 1
    assert count_members(session, {"training_countries": ["egypt"]}) == 1
    assert count_members(session, {"province": "ON"}) == 2
    assert count_members(session, {"province": "BC"}) == 0
    assert count_members(session, {"joined_from": "2000-01-01", "joined_to": "2999-01-01"}) == 2
    campaign = make_campaign()
    assert count_members(session, {"wrote_in": campaign.id}) == 0
    assert count_members(session, {"not_wrote_in": campaign.id}) == 2


def test_the_segment_page_counts_before_saving_and_says_fewer_than_5(app, browser, lead, make_reachable):
    for _ in range(3):
        make_reachable(riding=1)
    page = browser.post("/manage/segments", {"name": "", "province": "ON", "count": "Count"})
    assert page.status_code == 200
    assert "reach fewer than 5 members" in page.get_data(as_text=True)
    assert segment_id(app, "Ontario") is None  # counting saves nothing
    saved = browser.post("/manage/segments", {"name": "Ontario", "province": "ON", "save": "Save segment"})
    assert saved.status_code == 302
    assert segment_id(app, "Ontario") is not None
    assert "fewer than 5" in browser.get(saved.headers["Location"]).get_data(as_text=True)


def test_a_segment_that_matches_nobody_says_so(app, browser, lead, make_reachable):
    make_reachable(riding=1)
    page = browser.post("/manage/segments", {"province": "BC", "count": "Count"}).get_data(as_text=True)
    assert "No one matches these filters" in page


def test_a_segment_name_is_used_once_and_bad_values_are_refused(app, browser, lead):
    make_segment(app, "Thanks")
    page = browser.post("/manage/segments", {"name": "thanks", "save": "Save segment"})
    assert "Another segment has this name" in page.get_data(as_text=True)
    page = browser.post("/manage/segments", {"district_ids": "abc", "count": "Count"})
    assert page.status_code == 200 and "Please correct the highlighted fields" in page.get_data(as_text=True)
    with app.app_context():
        from crm.mailings.models import Segment

        assert db.session.scalar(select(Segment.name)) == "Thanks"


def test_members_cannot_reach_segments(app, browser, make_reachable):
    member = make_reachable()
    browser.login(member.email)
    assert browser.get("/manage/segments").status_code == 403
