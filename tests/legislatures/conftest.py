"""Fixtures: a fake Represent the app points at, a campaign in any legislature, members anywhere in Canada."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from crm.extensions import db
from tests.campaigns.conftest import DEFAULT_BLOCKS, make_campaign  # noqa: F401 (a fixture, shared)
from tests.legislatures.represent_fake import FakeRepresent


@pytest.fixture
def represent(app, httpserver):
    """The fake Represent, with the app pointed at it (and a short timeout for the slow answer)."""
    app.config["REPRESENT_API_URL"] = httpserver.url_for("/")
    app.config["REPRESENT_TIMEOUT"] = 0.5
    fake = FakeRepresent(httpserver)
    yield fake
    if "slow" in fake.broken.values():  # the fake serves one request at a time: let the slow answer finish
        time.sleep(fake.slow_seconds)
    app.config["REPRESENT_API_URL"] = None
    app.config.pop("REPRESENT_TIMEOUT", None)


@pytest.fixture
def make_legislature_campaign(app, seeded, make_user):
    """A live own-representative campaign in the legislature with this code; returns plain values."""
    from crm.campaigns import services
    from crm.reference.models import Jurisdiction

    lead = make_user(role="lead", email="lead-legislatures@example.org")

    def _make(code: str, name: str | None = None) -> SimpleNamespace:
        with app.app_context():
            jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
            campaign = services.create_campaign(
                db.session,
                actor_id=lead.id,
                name=name or f"PRA now in {jurisdiction.name}",
                hashtag="#skillstohelp",
                kind="own_representative",
                jurisdiction_id=jurisdiction.id,
                status="draft",
            )
            blocks = [services.BlockInput(**block) for block in DEFAULT_BLOCKS]
            blocks[0] = services.BlockInput(
                kind="locked",
                body="Dear {{ representative_title }} {{ representative_name }},\n\nI am {{ member_name }}.",
            )
            template, _ = services.save_template(
                db.session, campaign, subject="A letter from {{ member_name }}", actor_id=lead.id, blocks=blocks
            )
            campaign.status = "live"
            db.session.commit()
            result = SimpleNamespace(id=campaign.id, slug=campaign.slug, template_id=template.id, lead=lead)
            db.session.remove()
        return result

    return _make


@pytest.fixture
def make_resident(app, make_user):
    """A confirmed member with a postal code in any province and no riding on file."""
    from crm.members.models import MemberProfile

    def _make(postal_code: str, province: str = "NS", **kwargs):
        user = make_user(**kwargs)
        with app.app_context():
            db.session.add(MemberProfile(user_id=user.id, postal_code=postal_code, province=province))
            db.session.commit()
            db.session.remove()
        return user

    return _make
