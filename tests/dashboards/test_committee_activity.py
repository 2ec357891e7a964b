"""The committee dashboard shows its year of work: interactions by month and kind, hashtags, follow-ups."""

from datetime import date, datetime, timedelta


def test_committee_sees_interactions_by_month_hashtags_and_overdue_follow_ups(
    app, browser, make_user, seeded, count_queries
):
    from crm.extensions import db
    from crm.interactions.models import FollowUp, Interaction, InteractionHashtag

    committee = make_user(role="committee", email="dash-committee@example.org", name="Cora Committee")
    today = date.today()
    with app.app_context():
        for days, kind, tag in (
            (3, "meeting", "#mppchats"),
            (4, "call", "#mppchats"),
            (40, "meeting", "#skillstohelp"),
        ):
            interaction = Interaction(
                kind=kind,
                occurred_at=datetime.combine(today - timedelta(days=days), datetime.min.time()),
                title=f"{kind} {days}",
                member_report=False,
                hashtags=tag,
            )
            interaction.tags = [InteractionHashtag(tag=tag)]
            interaction.follow_ups = [
                FollowUp(
                    title="Send the proposal",
                    due_date=today - timedelta(days=1),
                    assignee_id=committee.id,
                    status="open",
                )
            ]
            db.session.add(interaction)
        db.session.commit()
    browser.login("dash-committee@example.org")
    with count_queries() as queries:
        page = browser.get("/dashboards/committee").get_data(as_text=True)
    assert "Interactions logged per month, by kind" in page and "#mppchats" in page
    assert "Cora Committee" in page
    csv = browser.get("/dashboards/committee/follow_ups.csv").get_data(as_text=True)
    assert "Cora Committee,0,3" in csv
    assert queries.count < 40
    bad = browser.get("/dashboards/committee?start=not-a-date")
    assert bad.status_code == 200


def test_interactions_by_stakeholder_kind_and_by_jurisdiction(app, browser, make_user, seeded, count_queries):
    """A meeting with CPSO and an MPP counts once for regulators and once for the legislature."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.interactions.models import Interaction, Participant
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import ElectedOffice, Organization

    make_user(role="committee", email="kinds@example.org")
    today = date.today()
    with app.app_context():
        ontario, bc = (
            db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == code)) for code in ("ON", "BC")
        )
        cpso = db.session.scalar(select(Organization.id).where(Organization.acronym == "CPSO"))
        mpp = db.session.scalar(select(ElectedOffice.person_id).where(ElectedOffice.current.is_(True)).limit(1))

        def interaction(days, jurisdiction, *, organization=None, person=None):
            when = datetime.combine(today - timedelta(days=days), datetime.min.time())
            item = Interaction(
                kind="meeting", occurred_at=when, title="Meeting", member_report=False, jurisdiction_id=jurisdiction
            )
            item.participants = [
                Participant(
                    side="stakeholder", role="target", occurred_at=when, organization_id=organization, person_id=person
                )
            ]
            return item

        both = interaction(2, ontario, organization=cpso)
        both.participants.append(
            Participant(side="stakeholder", role="target", occurred_at=both.occurred_at, person_id=mpp)
        )
        db.session.add_all(
            [
                both,
                interaction(3, ontario, person=mpp),
                interaction(5, bc, organization=cpso),
                interaction(500, bc, organization=cpso),
            ]
        )  # the last is outside the twelve months
        db.session.commit()
        db.session.remove()
    browser.login("kinds@example.org")
    with count_queries() as few:  # the first view after new interactions recounts their days
        page = browser.get("/dashboards/committee").get_data(as_text=True)
    assert '<th scope="row">Regulator</th><td class="text-end">2</td>' in page
    assert '<th scope="row">Legislature</th><td class="text-end">2</td>' in page
    assert '<th scope="row">Ontario</th><td class="text-end">2</td>' in page
    assert '<th scope="row">British Columbia</th><td class="text-end">1</td>' in page
    csv = browser.get("/dashboards/committee/jurisdictions.csv").get_data(as_text=True)
    assert "Ontario,2" in csv and "British Columbia,1" in csv
    xlsx = browser.get("/dashboards/committee/stakeholder_kinds.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    with app.app_context():
        db.session.add_all([interaction(n % 300, ontario, organization=cpso) for n in range(30)])
        db.session.commit()
        db.session.remove()
    with count_queries() as many:
        browser.get("/dashboards/committee")
    assert many.count == few.count


def test_campaign_hashtags_are_counted_whole(app, browser, make_user):
    """#mppchats counts #mppchats, not #mppchats2; both campaign tags on one interaction count once each."""
    from crm.extensions import db
    from crm.interactions.models import Interaction

    make_user(role="committee", email="tags@example.org")
    when = datetime.combine(date.today().replace(day=1), datetime.min.time())
    with app.app_context():
        for tags in ("#mppchats", "#pra #mppchats #skillstohelp", "#mppchats2", None):
            db.session.add(Interaction(kind="call", occurred_at=when, title="Call", member_report=False, hashtags=tags))
        db.session.commit()
        db.session.remove()
    browser.login("tags@example.org")
    csv = browser.get("/dashboards/committee/hashtags.csv").get_data(as_text=True)
    assert f"{when:%Y-%m},2,1" in csv
    assert f"{when:%Y-%m},0,4,0,0,0,0,4" in browser.get("/dashboards/committee/activity.csv").get_data(as_text=True)
