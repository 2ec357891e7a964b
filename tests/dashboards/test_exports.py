"""Every dashboard table downloads as CSV and XLSX; cells never run as formulas; small counts stay withheld."""

from __future__ import annotations

import io

import pandas as pd


def test_campaign_tables_download_as_csv_and_xlsx(browser, make_campaign, add_letters):
    campaign = make_campaign()
    add_letters(campaign, [(1, "delivered", None), (1, "bounced", None)])
    browser.login(campaign.lead.email)
    response = browser.get(f"/dashboards/campaigns/{campaign.id}/by-riding.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig")
    assert len(frame) == 124 and frame.iloc[0]["Riding"] == "Ajax" and frame.iloc[0]["Letters"] == 2
    for table in ("per-day", "by-party", "funnel"):
        response = browser.get(f"/dashboards/campaigns/{campaign.id}/{table}.xlsx")
        assert response.status_code == 200
        assert pd.read_excel(io.BytesIO(response.data)).shape[0] >= 1
    assert browser.get(f"/dashboards/campaigns/{campaign.id}/funnel.pdf").status_code == 404
    assert browser.get(f"/dashboards/campaigns/{campaign.id}/secrets.csv").status_code == 404


def test_evidence_downloads_keep_small_counts_withheld(browser, make_user, app):
    from crm.auth.models import User
    from crm.extensions import db
    from crm.members.models import MemberProfile

    with app.app_context():
        for n in range(9):
            user = User(email=f"x{n}@example.org", name="X", password_hash="x", role="member")
            db.session.add(user)
            db.session.flush()
            db.session.add(MemberProfile(user_id=user.id, specialty="=cmd|' /C calc'!A0" if n < 3 else "Family"))
        db.session.commit()
        db.session.remove()
    browser.login(make_user(role="committee").email)
    response = browser.get("/dashboards/members/specialty.csv?province=&start=")
    text = response.data.decode("utf-8-sig")
    assert "'=cmd" in text and "fewer than 5" in text and ",3" not in text
    assert "Family,5 or more" in text and ",6" not in text  # else 9 - 6 would give the 3 away
    assert browser.get("/dashboards/members/specialty.xlsx").status_code == 200


def test_a_download_computes_its_own_table_only(browser, make_campaign, add_letters, count_queries):
    """The by-riding download reads letters by riding and the ridings: not the outbox, not the whole page."""
    campaign = make_campaign()
    add_letters(campaign, [(1, "delivered", None)])
    browser.login(campaign.lead.email)
    browser.get(f"/dashboards/campaigns/{campaign.id}/by-riding.xlsx")
    with count_queries() as page:
        browser.get(f"/dashboards/campaigns/{campaign.id}")
    with count_queries() as download:
        assert browser.get(f"/dashboards/campaigns/{campaign.id}/by-riding.xlsx").status_code == 200
    assert download.count == page.count - 5
    assert not any("outbound_messages" in statement for statement in download.statements)
