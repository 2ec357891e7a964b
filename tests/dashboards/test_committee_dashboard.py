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
            office = db.session.scalar(
                select(ElectedOffice)
                .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
                .where(ElectoralDistrict.number == number, ElectedOffice.current.is_(True))
            )
            db.session.add(Stance(person_id=office.person_id, ask=ask, position=position, as_of=as_of))
            parties.append(office.party)
        db.session.commit()
        db.session.remove()
    return parties


def test_current_stance_is_the_newest_and_missing_ones_are_unknown(app, seeded):
    from crm.dashboards.committee import stances_by_party
    from crm.reference.models import Jurisdiction

    party = _add_stances(
        app,
        [
            (1, "pra", "opposed", date(2025, 1, 1)),
            (1, "pra", "supportive", date(2026, 1, 1)),
            (1, "residency", "neutral", date(2026, 2, 1)),
        ],
    )[0]
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


def test_the_committee_dashboard_shows_who_the_programs_reach_in_the_chosen_dates(app, browser, make_user):
    from datetime import datetime, timedelta

    from crm.auth.models import User
    from crm.members.models import MemberProfile
    from crm.programs.models import Event, Program, Registration
    from crm.programs.services import seed_programs

    with app.app_context():
        seed_programs(db.session)
        program = db.session.scalar(select(Program).order_by(Program.position))
        starts = datetime(2026, 3, 10, 23)
        event = Event(
            program_id=program.id,
            title="Interview tips",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            capacity=50,
            status="open",
        )
        db.session.add(event)
        for n in range(7):
            user = User(email=f"p{n}@example.org", name="P", password_hash="x", role="member")
            db.session.add(user)
            db.session.flush()
            db.session.add(MemberProfile(user_id=user.id, licensure_stage="carms"))
            db.session.add(Registration(event=event, user_id=user.id, status="registered", queued_at=starts))
        db.session.commit()
        name = program.name
        db.session.remove()
    browser.login(make_user(role="committee").email)
    html = browser.get("/dashboards/committee?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    panel = html.split('id="programs"')[1].split("</section>")[0]
    assert "Webinars that started from 2026-03-01 to 2026-03-31" in panel
    assert re.search(rf'<th scope="row">{name}</th><td class="text-end">1</td>\s*<td class="text-end">7</td>', panel)
    assert "CaRMS applicant" in html
    april = browser.get("/dashboards/committee?start=2026-04-01&end=2026-04-30").get_data(as_text=True)
    assert re.search(
        rf'<th scope="row">{name}</th><td class="text-end">0</td>\s*<td class="text-end">fewer than 5', april
    )
    csv = browser.get("/dashboards/committee/programs.csv?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    assert f"{name},1,7,fewer than 5" in csv
