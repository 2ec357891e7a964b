"""Dashboard fixtures: campaigns from the campaigns tests, and letters written straight into the tables."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.campaigns.conftest import make_campaign, make_member  # noqa: F401  (fixtures)


@pytest.fixture
def add_letters(app):
    """add_letters(campaign, [(riding number, status, created_at), ...]): one new member per letter."""
    from crm.auth.models import User
    from crm.campaigns.models import Letter
    from crm.members.models import MemberProfile
    from crm.outbox.models import OutboundMessage
    from crm.reference.models import ElectoralDistrict
    from crm.stakeholders.models import ElectedOffice

    counter = {"n": 0}

    def _add(campaign, specs):
        with app.app_context():
            db.session.info["audit_disabled"] = True
            offices = {
                number: office
                for number, office in db.session.execute(
                    select(ElectoralDistrict.number, ElectedOffice)
                    .join(ElectedOffice, ElectedOffice.district_id == ElectoralDistrict.id)
                    .where(ElectedOffice.current.is_(True))
                )
            }
            for number, status, created_at in specs:
                counter["n"] += 1
                office = offices[number]
                user = User(
                    email=f"writer{counter['n']}-{campaign.id}@example.org",
                    name=f"Writer {counter['n']}",
                    password_hash="x",
                    role="member",
                    email_confirmed_at=datetime.utcnow(),
                )
                db.session.add(user)
                db.session.flush()
                db.session.add(MemberProfile(user_id=user.id, province="ON", district_id=office.district_id))
                message = OutboundMessage(
                    kind="letter",
                    user_id=user.id,
                    to_address="mpp@example.org",
                    from_address="itpo@example.org",
                    subject="A letter",
                    text_body="Body",
                    status=status,
                )
                db.session.add(message)
                db.session.flush()
                db.session.add(
                    Letter(
                        campaign_id=campaign.id,
                        user_id=user.id,
                        person_id=office.person_id,
                        office_id=office.id,
                        district_id=office.district_id,
                        template_id=campaign.template_id,
                        party=office.party,
                        to_address="mpp@example.org",
                        subject="A letter",
                        body="Body",
                        message_id=message.id,
                        created_at=created_at or datetime.utcnow(),
                    )
                )
            db.session.commit()
            db.session.info.pop("audit_disabled", None)
            db.session.remove()

    return _add
