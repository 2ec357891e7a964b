"""Conversion on the campaign dashboard, and who took part (list, downloads, a segment of them)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from crm.extensions import db
from crm.mailings.models import Segment
from tests.campaigns.conftest import send_letter
from tests.mailings.conftest import district_id, make_mailing, make_segment, run_due


def _send(app, mailing_id):
    from crm.mailings.models import Mailing
    from crm.mailings.services import send_mailing

    with app.test_request_context():
        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
    run_due(app)


def test_the_dashboard_shows_each_mailings_conversion_with_small_counts_hidden(
    app, browser, make_campaign, make_reachable, make_user
):
    campaign = make_campaign()
    writers = [make_reachable(riding=1, name=f"Writer {i}") for i in range(6)]
    for _ in range(2):
        make_reachable(riding=1)
    _send(app, make_mailing(app, campaign, make_segment(app), subject="Please write"))
    for writer in writers:
        browser.login(writer.email)
        assert send_letter(browser, campaign, f"district-{district_id(app, 1)}").status_code == 302
        browser.logout()
    lead = make_user(role="lead")
    browser.login(lead.email)
    page = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    section = page[page.index('id="mailing-conversion"') :]
    row = section[section.index("Please write") :]
    row = row[: row.index("</tr>")]
    cells = [cell.split("<")[0] for cell in row.split("<td>")[1:]]
    assert cells == ["8", "fewer than 5", "fewer than 5", "fewer than 5", "fewer than 5", "6", "75.0%"]


def test_who_took_part_lists_downloads_and_becomes_a_segment(app, browser, make_campaign, make_reachable, make_user):
    campaign = make_campaign()
    writer = make_reachable(riding=1, name="=HYPERLINK(1)")
    make_reachable(riding=2, name="Never wrote")
    browser.login(writer.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    browser.logout()
    lead = make_user(role="lead")
    browser.login(lead.email)
    page = browser.get(f"/manage/campaigns/{campaign.id}/participants").get_data(as_text=True)
    assert writer.email in page and "Never wrote" not in page
    other_riding = browser.get(f"/manage/campaigns/{campaign.id}/participants?district_id={district_id(app, 2)}")
    assert writer.email not in other_riding.get_data(as_text=True)
    download = browser.get(f"/manage/campaigns/{campaign.id}/participants.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:4] == ["'=HYPERLINK(1)", writer.email, rows[1][2], "yes"]
    xlsx = browser.get(f"/manage/campaigns/{campaign.id}/participants.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert browser.get(f"/manage/campaigns/{campaign.id}/participants.pdf").status_code == 404
    made = browser.post(
        f"/manage/campaigns/{campaign.id}/participants/segment", page=f"/manage/campaigns/{campaign.id}/participants"
    )
    assert made.status_code == 302
    with app.app_context():
        segment = db.session.scalar(select(Segment))
        assert segment.filters == {"wrote_in": campaign.id}
    assert "reach fewer than 5 members" in browser.get(made.headers["Location"]).get_data(as_text=True)
