"""The committee dashboard shows its year of work: interactions by month and kind, hashtags, follow-ups."""
from datetime import date, datetime, timedelta


def test_committee_sees_interactions_by_month_hashtags_and_overdue_follow_ups(app, browser, make_user, seeded,
                                                                             count_queries):
    from crm.extensions import db
    from crm.interactions.models import FollowUp, Interaction, InteractionHashtag

    committee = make_user(role="committee", email="dash-committee@example.org", name="Cora Committee")
    today = date.today()
    with app.app_context():
        for days, kind, tag in ((3, "meeting", "#mppchats"), (4, "call", "#mppchats"), (40, "meeting", "#skillstohelp")):
            interaction = Interaction(kind=kind, occurred_at=datetime.combine(today - timedelta(days=days),
                                                                              datetime.min.time()),
                                      title=f"{kind} {days}", member_report=False)
            interaction.tags = [InteractionHashtag(tag=tag)]
            interaction.follow_ups = [FollowUp(title="Send the proposal", due_date=today - timedelta(days=1),
                                               assignee_id=committee.id, status="open")]
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
