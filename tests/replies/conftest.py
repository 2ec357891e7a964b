"""Reply-survey fixtures: letters sent through the real form, delivered (or not) some days ago."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.campaigns.models import Letter
from crm.extensions import db
from crm.outbox.models import DeliveryEvent, OutboundMessage
from tests.campaigns.conftest import district_id, make_campaign, make_member, send_letter  # noqa: F401 (fixtures)


def deliver(session, letter: Letter, days_ago: float, now: datetime | None = None, event: str = "delivered") -> None:
    """The provider says the letter's message was delivered (or bounced) `days_ago`."""
    now = now or datetime.utcnow()
    status = {"delivered": "delivered", "bounce": "bounced", "dropped": "dropped"}[event]
    message = session.get(OutboundMessage, letter.message_id)
    message.status = status
    session.add(
        DeliveryEvent(
            provider_event_id=uuid.uuid4().hex,
            event=event,
            message_id=message.id,
            occurred_at=now - timedelta(days=days_ago),
            received_at=now,
        )
    )
    session.commit()


@pytest.fixture
def sent_letter(app, browser, make_campaign, make_member, session):
    """A member's letter to riding 1's MPP, sent through the form; returns (member, letter, campaign)."""

    def _send(member=None, campaign=None, riding: int = 1):
        campaign = campaign or make_campaign()
        member = member or make_member(riding=riding)
        browser.login(member.email)
        response = send_letter(browser, campaign, f"district-{district_id(app, riding)}")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        browser.logout()
        letter = session.scalar(select(Letter).where(Letter.user_id == member.id, Letter.campaign_id == campaign.id))
        return member, letter, campaign

    return _send


def make_letters(
    session, campaign, template_id: int, *, person_id: int, district: int | None, party: str | None, members: list[int]
) -> list[Letter]:
    """Letters written straight to the tables (for counts): one per member, each with its outbox row."""
    letters = []
    for user_id in members:
        message = OutboundMessage(
            kind="letter",
            user_id=user_id,
            to_address="mpp@example.invalid",
            from_address="ITPO <no-reply@itpo.example>",
            subject="A letter",
            text_body="Dear MPP",
            status="queued",
            attempts=0,
            possible_duplicate=False,
        )
        session.add(message)
        session.flush()
        letter = Letter(
            campaign_id=campaign,
            user_id=user_id,
            person_id=person_id,
            district_id=district,
            template_id=template_id,
            party=party,
            to_address="mpp@example.invalid",
            subject="A letter",
            body="Dear MPP",
            message_id=message.id,
        )
        session.add(letter)
        letters.append(letter)
    session.commit()
    return letters


__all__ = ["deliver", "make_letters", "db"]
