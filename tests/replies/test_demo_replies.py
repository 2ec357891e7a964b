"""The demo data answers some reply surveys, so the panel and the timelines have something to show."""

from sqlalchemy import func, select

from crm.extensions import db


def test_demo_letters_carry_reply_answers_shown_on_the_panel(app, runner, seeded, browser, make_user):
    from crm.campaigns.models import Campaign
    from crm.replies.models import LetterReply

    result = runner.invoke(args=["crm", "demo", "--scale", "small"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        answers = dict(db.session.execute(select(LetterReply.answer, func.count()).group_by(LetterReply.answer)).all())
        assert set(answers) == {None, "replied", "acknowledged", "no_reply"} and answers["replied"] > 100
        closed = db.session.scalar(select(Campaign.id).where(Campaign.status == "closed").order_by(Campaign.id))
        person = db.session.scalar(select(LetterReply.person_id).where(LetterReply.answer == "replied"))
        db.session.remove()
    browser.login(make_user(role="lead").email)
    html = browser.get(f"/manage/campaigns/{closed}").get_data(as_text=True)
    assert "Responsiveness: did the office reply?" in html and "%</td>" in html
    assert "A member reports on their letter" in browser.get(f"/directory/people/{person}").get_data(as_text=True)
