"""A proposal version's page lists the campaigns that cite it."""

from flask import url_for
from sqlalchemy import select

from crm.campaigns.models import Campaign
from crm.proposals.services import Presentation, where_it_went


@where_it_went.connect
def campaigns_that_cite(version, *, session, **_) -> list[Presentation]:
    campaigns = session.scalars(select(Campaign).where(Campaign.proposal_version_id == version.id)).all()
    return [
        Presentation(
            when=c.starts_on or c.created_at,
            kind="campaign",
            title=c.name,
            url=url_for("campaigns.show", slug=c.slug) if c.status != "draft" else None,
        )
        for c in campaigns
    ]
