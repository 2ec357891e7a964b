"""Directory fixtures that work outside any pushed app context (so `g` never leaks between requests).

`store` is a database session of the test's own; `users` creates accounts; `roster` loads the full
reference data (MPP roster, organizations); `staff` logs a browser in with a role.
"""

import pytest
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.stakeholders import services
from crm.stakeholders.models import Organization


@pytest.fixture
def store(app):
    with app.app_context():
        engine = db.engine
    with Session(engine) as observer:
        yield observer


@pytest.fixture
def users(make_user):
    """`users(role)` creates a confirmed account (staff with two-step verification) and returns (id, email)."""
    counter = {"n": 0}

    def _make(role="committee"):
        counter["n"] += 1
        user = make_user(role=role, email=f"{role}-{counter['n']}@example.org", name=f"{role.title()} {counter['n']}")
        return (user.id, user.email)

    return _make


@pytest.fixture
def staff(browser, users):
    """`staff(role)` logs the browser in with a new account of that role; returns the browser."""

    def _login(role="committee"):
        browser.user_id, email = users(role)
        browser.login(email)
        return browser

    return _login


@pytest.fixture
def committee(staff):
    return staff("committee")


@pytest.fixture
def roster(app):
    """The full reference data: MPP roster and organizations."""
    with app.app_context():
        app.config["SEED_ALL"](db.session)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def make_person(store):
    """Create a person (their organization `org` is created on first use); returns the person's id."""

    def _make(name="Jane Doe", *, org=None, emails=(), phones=(), tags=(), jurisdiction=None, title=None):
        organization_id = None
        if org:
            organization = store.query(Organization).filter_by(name=org).first()
            if organization is None:
                organization = services.save_organization(
                    store, None, name=org, acronym=None, kind="regulator", jurisdiction="ON", website=None, notes=None
                )
            organization_id = organization.id
        person = services.save_person(
            store,
            None,
            full_name=name,
            title=title,
            organization_id=organization_id,
            jurisdiction=jurisdiction,
            notes=None,
            emails=[("work", e) for e in emails],
            phones=[("work", p) for p in phones],
            tags=list(tags),
        )
        store.commit()
        return person.id

    return _make
