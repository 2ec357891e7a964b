"""The directory's person and organization pages show the timeline: interactions, stance changes, letters."""

from datetime import date

from sqlalchemy import select

from crm.stakeholders.models import Organization, Person, Stance


def test_person_page_shows_interactions_and_stance_changes_newest_first(app, browser, make_user, seeded, session):
    from crm.interactions import services as interactions

    make_user(role="committee", email="timeline@example.org")
    browser.login("timeline@example.org")
    cpso = session.scalar(select(Organization).where(Organization.acronym == "CPSO"))
    registrar = Person(full_name="Dana Registrar", title="Registrar", organization=cpso)
    session.add(registrar)
    session.flush()
    session.add(Stance(person_id=registrar.id, ask="pra", position="supportive", as_of=date(2026, 10, 1)))
    session.commit()
    page = browser.get(f"/directory/people/{registrar.id}").get_data(as_text=True)
    assert "Timeline" in page and "supportive" in page
    org_page = browser.get(f"/directory/organizations/{cpso.id}").get_data(as_text=True)
    assert 'id="timeline"' in org_page
    assert interactions  # the log's provider is registered when the app starts
