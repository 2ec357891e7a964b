"""The campaign dashboard's responsiveness panel: reply rates by MPP, party and riding, small counts hidden."""

from datetime import datetime

from sqlalchemy import select

from crm.auth.models import User
from crm.members.small_counts import FEWER
from crm.replies.models import LetterReply
from crm.replies.services import queue_due_surveys, record_answer, responsiveness
from crm.stakeholders.models import ElectedOffice
from tests.replies.conftest import deliver, make_letters


def _members(session, n: int, start: int) -> list[int]:
    users = [
        User(
            email=f"panel{start + i}@example.org",
            name=f"Panel {start + i}",
            password_hash="!",
            role="member",
            email_confirmed_at=datetime.utcnow(),
        )
        for i in range(n)
    ]
    session.add_all(users)
    session.commit()
    return [user.id for user in users]


def _answered(session, campaign, offices, answers_per_office):
    """Letters to each office, delivered 15 days ago, surveyed, and answered as listed."""
    start = 0
    for office, answers in zip(offices, answers_per_office, strict=False):
        members = _members(session, len(answers), start)
        start += len(answers)
        letters = make_letters(
            session,
            campaign.id,
            campaign.template_id,
            person_id=office.person_id,
            district=office.district_id,
            party=office.party,
            members=members,
        )
        for letter in letters:
            deliver(session, letter, days_ago=15)
    queue_due_surveys(session)
    session.commit()
    replies = {reply.person_id: [] for reply in session.scalars(select(LetterReply))}
    for reply in session.scalars(select(LetterReply).order_by(LetterReply.id)):
        replies[reply.person_id].append(reply)
    for office, answers in zip(offices, answers_per_office, strict=False):
        for reply, answer in zip(replies[office.person_id], answers, strict=False):
            if answer:
                record_answer(session, reply, answer=answer, text=None, tone=None)
    session.commit()


def _offices(session, n):
    return session.scalars(
        select(ElectedOffice)
        .where(ElectedOffice.current.is_(True), ElectedOffice.party.is_not(None))
        .order_by(ElectedOffice.id)
        .limit(n)
    ).all()


def test_reply_rates_by_mpp_with_counts_under_5_suppressed(session, make_campaign):
    campaign = make_campaign()
    big, small, other, third = _offices(session, 4)
    _answered(
        session,
        campaign,
        [big, small, other, third],
        [
            ["replied"] * 3 + ["acknowledged"] * 2 + ["no_reply"] * 5 + [None],  # 10 answers of 11 asked
            ["replied", "no_reply"],  # 2 answers: never shown exactly
            ["no_reply"] * 6,
            ["replied"] * 7,
        ],
    )
    panel = responsiveness(session, campaign.id)
    assert (panel.asked, panel.answered) == ("26", "25")
    rows = {row.label: row for row in panel.tables["mpp"]}
    big_row = rows[big.person.full_name]
    assert (big_row.answers, big_row.replied, big_row.acknowledged, big_row.no_reply) == ("10", "30%", "20%", "50%")
    small_row = rows[small.person.full_name]
    assert small_row.answers == FEWER and small_row.replied is None and small_row.no_reply is None
    # Beside a lone small row, the two next smallest are withheld too ("5 or more"), so 25 - 10 cannot give it away.
    for withheld in (other, third):
        assert (
            rows[withheld.person.full_name].answers == "5 or more" and rows[withheld.person.full_name].replied is None
        )


def test_a_campaign_with_too_few_answers_shows_no_rates(session, make_campaign):
    campaign = make_campaign()
    [office] = _offices(session, 1)
    _answered(session, campaign, [office], [["replied", "replied"]])
    panel = responsiveness(session, campaign.id)
    assert panel.answered == FEWER and panel.tables["mpp"] is None and panel.tables["party"] is None


def test_the_panel_is_on_the_campaign_dashboard(session, browser, make_campaign):
    campaign = make_campaign()
    offices = _offices(session, 2)
    _answered(session, campaign, offices, [["replied"] * 6, ["no_reply"] * 7])
    browser.login(campaign.lead.email)
    html = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Responsiveness: did the office reply?" in html
    assert offices[0].person.full_name in html and "100%" in html
    assert "responsiveness-party" in html and "responsiveness-riding" in html
    assert offices[0].district.name in html


def test_an_empty_panel_says_no_answers_yet(session, browser, make_campaign):
    campaign = make_campaign()
    browser.login(campaign.lead.email)
    html = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "No answers yet." in html
