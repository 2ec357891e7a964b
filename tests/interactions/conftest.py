"""Fixtures for the interaction log: a few stakeholders and a logged-in committee member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.campaigns.conftest import make_campaign  # noqa: F401 (fixture: a campaign cites a version)


@dataclass
class Stakeholders:
    cpso: int
    cpsbc: int
    mcc: int
    registrar: int  # a person at CPSO
    mpp: int  # a person with no organization


@pytest.fixture
def stakeholders(app) -> Stakeholders:
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import Organization, Person

    with app.app_context():
        on = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
        cpso = Organization(
            name="College of Physicians and Surgeons of Ontario", acronym="CPSO", kind="regulator", jurisdiction=on
        )
        cpsbc = Organization(
            name="College of Physicians and Surgeons of British Columbia", acronym="CPSBC", kind="regulator"
        )
        mcc = Organization(name="Medical Council of Canada", acronym="MCC", kind="certification_body")
        registrar = Person(full_name="Nadia Registrar", title="Registrar", organization=cpso, jurisdiction=on)
        mpp = Person(full_name="Marcus Member-Parliament", title="MPP, Somewhere", jurisdiction=on)
        db.session.add_all([cpso, cpsbc, mcc, registrar, mpp])
        db.session.commit()
        result = Stakeholders(cpso.id, cpsbc.id, mcc.id, registrar.id, mpp.id)
        db.session.remove()
    return result


@pytest.fixture
def committee(browser, make_user):
    """A committee member, logged in."""
    user = make_user("committee", email="committee@example.org", name="Cora Committee")
    browser.login("committee@example.org")
    return user


def meeting_form(**overrides) -> dict:
    """The fields of the log-an-interaction form, as a browser would post them."""
    when = (datetime.now() - timedelta(days=2)).replace(hour=14, minute=30)
    data = {
        "kind": "meeting",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "title": "Meeting on PRA spots",
        "summary": "We presented the **Ontario proposal**.",
        "outcome": "They will review it.",
        "hashtags": "#mppchats",
        "jurisdiction_id": "",
        "proposal_version_id": "",
    }
    for i in range(6):
        data[f"participants-{i}-who"] = ""
        data[f"participants-{i}-role"] = "attendee"
    for i in range(2):
        data[f"follow_ups-{i}-title"] = ""
        data[f"follow_ups-{i}-due_date"] = ""
        data[f"follow_ups-{i}-assignee_id"] = ""
    data.update(overrides)
    return data


def add_interaction(
    app,
    *,
    occurred_at,
    person_ids=(),
    organization_ids=(),
    user_ids=(),
    kind="meeting",
    hashtags=None,
    title="An interaction",
    jurisdiction_id=None,
    summary=None,
):
    """Create an interaction directly through the service; returns its id."""
    from crm.interactions import services

    participants = (
        [services.ParticipantInput(f"person:{i}") for i in person_ids]
        + [services.ParticipantInput(f"organization:{i}") for i in organization_ids]
        + [services.ParticipantInput(f"user:{i}") for i in user_ids]
    )
    with app.app_context():
        interaction = services.log_interaction(
            db.session,
            None,
            services.InteractionInput(
                kind=kind,
                occurred_at=occurred_at,
                title=title,
                hashtags=hashtags,
                participants=participants,
                jurisdiction_id=jurisdiction_id,
                summary=summary,
            ),
        )
        db.session.commit()
        interaction_id = interaction.id
        db.session.remove()
    return interaction_id
