"""The committee dashboard: sitting MPPs' current stances on the asks by party; the asks scoreboard in summary."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from crm.extensions import db


def _add_stances(app, specs):
    """specs: [(riding number, ask, position, as_of)] for the riding's sitting MPP; returns the MPP's party."""
    from crm.reference.models import ElectoralDistrict
    from crm.stakeholders.models import ElectedOffice, Stance

    parties = []
    with app.app_context():
        for number, ask, position, as_of in specs:
            office = db.session.scalar(select(ElectedOffice).join(ElectoralDistrict, ElectoralDistrict.id ==
                                                                  ElectedOffice.district_id)
                                       .where(ElectoralDistrict.number == number, ElectedOffice.current.is_(True)))
            db.session.add(Stance(person_id=office.person_id, ask=ask, position=position, as_of=as_of))
            parties.append(office.party)
        db.session.commit()
        db.session.remove()
    return parties


def test_current_stance_is_the_newest_and_missing_ones_are_unknown(app, seeded):
    from crm.dashboards.committee import stances_by_party
    from crm.reference.models import Jurisdiction

    party = _add_stances(app, [(1, "pra", "opposed", date(2025, 1, 1)), (1, "pra", "supportive", date(2026, 1, 1)),
                               (1, "residency", "neutral", date(2026, 2, 1))])[0]
    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        table = stances_by_party(db.session, ontario)
        db.session.remove()
    row = next(r for r in table.rows if r[0] == party)
    _, seats, counts = row
    assert counts[("pra", "supportive")] == 1 and counts.get(("pra", "opposed"), 0) == 0
    assert counts[("pra", "unknown")] == seats - 1
    assert counts[("clinical_assistant", "unknown")] == seats
    assert sum(r[1] for r in table.rows) <= 124


def test_committee_sees_the_dashboard_and_downloads_it(browser, make_user, seeded, app):
    _add_stances(app, [(2, "pra", "supportive", date(2026, 1, 1))])
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/committee").get_data(as_text=True)
    assert "Where sitting members stand" in html and "The asks across Canada" in html
    assert re.search(r'stance-supportive">1<', html)
    response = browser.get("/dashboards/committee/stances.csv?jurisdiction=ON")
    assert response.status_code == 200 and b"Supportive" in response.data
    assert browser.get("/dashboards/committee/scoreboard.xlsx").status_code == 200
    assert browser.get("/dashboards/committee/other.csv").status_code == 404
    bad = browser.get("/dashboards/committee?jurisdiction=%3Cx%3E").get_data(as_text=True)
    assert "Choose a legislature" in bad


def test_members_cannot_see_the_committee_dashboard(browser, make_user):
    browser.login(make_user(role="member").email)
    assert browser.get("/dashboards/committee").status_code == 403
