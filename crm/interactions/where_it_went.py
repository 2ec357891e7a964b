"""A proposal version's page lists the meetings where it was presented (the link lives in interactions)."""

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.interactions.models import Interaction, Participant
from crm.proposals.services import Presentation, where_it_went


@where_it_went.connect
def interactions_that_presented(version, *, session, **_) -> list[Presentation]:
    interactions = session.scalars(
        select(Interaction)
        .where(Interaction.proposal_version_id == version.id, Interaction.archived.is_(False))
        .options(
            selectinload(Interaction.participants).selectinload(Participant.person),
            selectinload(Interaction.participants).selectinload(Participant.organization),
        )
    ).all()
    return [
        Presentation(
            when=i.occurred_at,
            kind=i.kind,
            title=i.title,
            url=url_for("interactions.detail", interaction_id=i.id),
            recipients=tuple(p.name for p in i.participants if p.side == "stakeholder"),
        )
        for i in interactions
    ]
