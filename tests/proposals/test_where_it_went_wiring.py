"""A published version's page lists the meetings where it was presented and the campaigns that cite it."""

from datetime import datetime

from crm.extensions import db
from crm.interactions.models import Interaction
from crm.proposals.services import where_it_went_for


def test_meetings_and_campaigns_appear_under_where_it_went(app_ctx, make_proposal):
    from crm.campaigns.models import Campaign
    from crm.reference.models import Jurisdiction

    proposal = make_proposal("ON", published=["Our ask."])
    version = proposal.versions[0]
    ontario = db.session.scalar(db.select(Jurisdiction).where(Jurisdiction.code == "ON"))
    db.session.add(
        Interaction(
            kind="meeting",
            occurred_at=datetime(2026, 10, 2, 10),
            title="Met the CPSO",
            jurisdiction_id=ontario.id,
            proposal_version_id=version.id,
            member_report=False,
        )
    )
    db.session.add(
        Campaign(
            name="Skills to help",
            slug="skills",
            kind="own_representative",
            jurisdiction_id=ontario.id,
            status="draft",
            mpp_address="legislature",
            proposal_version_id=version.id,
        )
    )
    db.session.commit()
    with app_ctx.test_request_context():
        found = where_it_went_for(db.session, version)
    assert {(item.kind, item.title) for item in found} == {("meeting", "Met the CPSO"), ("campaign", "Skills to help")}


def test_a_draft_version_cannot_be_cited_by_a_campaign(app_ctx, make_proposal):
    import pytest

    from crm.lib.errors import ValidationError
    from crm.proposals.services import presentable_version

    proposal = make_proposal("ON", published=[])  # version 1 stays a draft
    with pytest.raises(ValidationError):
        presentable_version(db.session, proposal.versions[0].id, None)
