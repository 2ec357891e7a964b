"""`flask crm demo`: synthetic members across the ridings, campaigns, letters in varied delivery states."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.extensions import db


def test_demo_small_fills_members_campaigns_and_letters(app, runner, seeded):
    from crm.campaigns.models import Campaign, Letter
    from crm.members.models import MemberProfile
    from crm.outbox.models import OutboundMessage

    result = runner.invoke(args=["crm", "demo", "--scale", "small"])
    assert result.exit_code == 0, result.output
    assert "3,000 members" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(MemberProfile.id))) == 3000
        ridings = db.session.scalar(select(func.count(func.distinct(MemberProfile.district_id))))
        assert ridings > 100
        live = db.session.scalars(select(Campaign.slug).where(Campaign.status == "live")).all()
        assert sorted(live) == ["demo-1", "demo-nova-scotia"]  # one in Ontario, one in Nova Scotia
        statuses = set(
            db.session.scalars(
                select(OutboundMessage.status).join(Letter, Letter.message_id == OutboundMessage.id).distinct()
            )
        )
        assert {"queued", "accepted", "delivered", "bounced", "failed"} <= statuses
        addresses = db.session.scalars(select(OutboundMessage.to_address).distinct())
        assert all(address.endswith("@example.invalid") for address in addresses)
        from tests.outbox.seams import claim_batch

        assert claim_batch(db.session, "test-worker", 1000) == []  # a worker sends none of the demo letters
        db.session.remove()
    assert "2,000 interactions" in result.output
    again = runner.invoke(args=["crm", "demo", "--scale", "small"])
    assert again.exit_code != 0 and "already loaded" in again.output


def test_demo_if_empty_does_nothing_outside_development(app, runner, seeded):
    from crm.members.models import MemberProfile

    result = runner.invoke(args=["crm", "demo", "--scale", "small", "--if-empty"])
    assert result.exit_code == 0 and "skipped" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(MemberProfile.id))) == 0
        db.session.remove()


def test_demo_campaign_dashboard_renders(app, runner, seeded, browser, make_user):
    from crm.campaigns.models import Campaign

    runner.invoke(args=["crm", "demo", "--scale", "small"])
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == "demo-1"))
        db.session.remove()
    browser.login(make_user(role="lead").email)
    html = browser.get(f"/dashboards/campaigns/{campaign_id}").get_data(as_text=True)
    assert "ridings reached of 124" in html and "map-c4" in html
    assert browser.get("/dashboards/members").status_code == 200


def test_demo_if_empty_loads_once_in_development(app, runner, seeded, monkeypatch):
    from crm.members.models import MemberProfile

    monkeypatch.setitem(app.config, "CRM_ENV", "development")
    first = runner.invoke(args=["crm", "demo", "--scale", "small", "--if-empty"])
    second = runner.invoke(args=["crm", "demo", "--scale", "small", "--if-empty"])
    assert "Demo data (small)" in first.output and "skipped" in second.output and second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(MemberProfile.id))) == 3000
        db.session.remove()


def test_demo_is_refused_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_ENV", "production")
    result = runner.invoke(args=["crm", "demo", "--scale", "small"])
    assert result.exit_code != 0 and "never loaded in production" in result.output


def test_demo_small_fills_the_committee_dashboard_and_the_programs(app, runner, seeded, browser, make_user):
    """Interactions with follow-ups and hashtags, stances, past webinars, and members who joined through the live
    campaign; no demo webinar is still to come, so no reminder is ever due."""
    from datetime import datetime

    from crm.campaigns.models import Campaign
    from crm.interactions.models import FollowUp, Interaction, InteractionHashtag
    from crm.members.models import MemberProfile
    from crm.programs.models import Attendance, Event, Registration
    from crm.stakeholders.models import Stance

    runner.invoke(args=["crm", "demo", "--scale", "small"])
    with app.app_context():
        count = lambda column, *where: db.session.scalar(select(func.count(column)).where(*where))  # noqa: E731
        assert count(Interaction.id) == 2000
        assert count(FollowUp.id, FollowUp.status == "open") > 0 and count(InteractionHashtag.tag) > 0
        assert count(Stance.id) > 100
        assert count(Registration.id) > 0 and count(Attendance.id) > 0
        assert count(Event.id, Event.ends_at > datetime.utcnow()) == 0
        live = db.session.scalar(select(Campaign.id).where(Campaign.slug == "demo-1"))
        assert count(MemberProfile.id, MemberProfile.joined_via_campaign_id == live) > 0
        db.session.remove()
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/committee").get_data(as_text=True)
    assert "Legislature" in html and "Cracking the CaRMS" in html and "No interactions logged" not in html
