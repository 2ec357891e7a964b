"""Mailing fixtures: members who can be mailed (consenting, confirmed), a lead logged in, a live campaign."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.campaigns.conftest import district_id, make_campaign, make_member  # noqa: F401 (fixtures)
from tests.outbox.conftest import fake_server, sendgrid  # noqa: F401 (fixtures)

__all__ = ["district_id"]


@pytest.fixture
def make_reachable(app, make_member):
    """A member a segment can reach: confirmed, with a yes to ITPO email (consent=False records a no)."""
    from crm.members.models import ConsentRecord
    from crm.members.services import EMAIL_PURPOSE

    def _make(riding: int | None = 1, consent: bool = True, **kwargs):
        user = make_member(riding=riding, **kwargs)
        with app.app_context():
            db.session.add(
                ConsentRecord(
                    user_id=user.id,
                    purpose=EMAIL_PURPOSE,
                    granted=consent,
                    wording="Yes",
                    wording_version="1",
                    source="join_form",
                )
            )
            db.session.commit()
            db.session.remove()
        return user

    return _make


@pytest.fixture
def lead(make_user, browser):
    """A lead, logged in through the browser."""
    user = make_user(role="lead")
    browser.login(user.email)
    return user


def segment_id(app, name: str) -> int:
    from crm.mailings.models import Segment

    with app.app_context():
        return db.session.scalar(select(Segment.id).where(Segment.name == name))


def make_segment(app, name: str = "Everyone", **filters) -> int:
    from crm.mailings.services import save_segment

    with app.app_context():
        segment = save_segment(db.session, name=name, filters=filters, actor_id=None)
        db.session.commit()
        result = segment.id
        db.session.remove()
    return result


BODY = (
    "Dear {{ member_name }},\n\nYour MPP {{ representative_name }} ({{ member_riding }}) needs to hear from "
    "you about {{ campaign_name }}. Write now: {{ action_link }}\n{{ hashtag }}"
)


def make_mailing(
    app, campaign, segment: int, subject: str = "{{ member_name }}, write to your MPP", body: str = BODY, **french
) -> int:
    """A draft mailing; `french` may give its subject_fr and body_fr."""
    from crm.campaigns.models import Campaign
    from crm.mailings.models import Segment
    from crm.mailings.services import save_mailing

    with app.app_context():
        mailing = save_mailing(
            db.session,
            campaign=db.session.get(Campaign, campaign.id),
            segment=db.session.get(Segment, segment),
            subject=subject,
            body=body,
            actor_id=None,
            **french,
        )
        db.session.commit()
        result = mailing.id
        db.session.remove()
    return result


def run_due(app) -> int:
    """What the worker's pass job does: queue the due mailings (committed)."""
    from crm.mailings.services import send_due_mailings
    from crm.outbox.services import utcnow

    with app.test_request_context():
        count = send_due_mailings(db.session, utcnow())
        db.session.commit()
        db.session.remove()
    return count
