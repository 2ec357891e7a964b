"""Reading letters and counting them: a member's letters, a campaign's latest, counts for the lead and public."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from crm.campaigns.models import (
    DIGEST_QUEUED,
    Campaign,
    Letter,
    LetterObstacle,
)
from crm.outbox.models import OutboundMessage

# --- reading --------------------------------------------------------------------------------------


def letters_of_member(user_id: int):
    """A select of a member's letters, newest first, with what the list shows loaded."""
    return (
        select(Letter)
        .where(Letter.user_id == user_id)
        .options(
            joinedload(Letter.campaign),
            joinedload(Letter.person),
            joinedload(Letter.district),
            joinedload(Letter.message),
        )
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    )


def latest_letters(campaign_id: int):
    return (
        select(Letter)
        .where(Letter.campaign_id == campaign_id)
        .options(
            joinedload(Letter.user), joinedload(Letter.person), joinedload(Letter.district), joinedload(Letter.message)
        )
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    )


def _letters_by_status(session: Session, campaign: Campaign) -> dict[str, int]:
    """Letters per outbox status, and those waiting for their office's daily digest."""
    by_status = dict(
        session.execute(
            select(OutboundMessage.status, func.count())
            .join(Letter, Letter.message_id == OutboundMessage.id)
            .where(Letter.campaign_id == campaign.id)
            .group_by(OutboundMessage.status)
        ).all()
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(Letter)
        .where(Letter.campaign_id == campaign.id, Letter.for_digest.is_(True), Letter.message_id.is_(None))
    )
    if waiting:
        by_status[DIGEST_QUEUED] = waiting
    return by_status


def campaign_stats(session: Session, campaign: Campaign) -> dict:
    """Live counts for the lead's page: letters, ridings reached, letters by party, members stopped."""
    letters = session.scalar(select(func.count()).select_from(Letter).where(Letter.campaign_id == campaign.id)) or 0
    ridings = (
        session.scalar(
            select(func.count(func.distinct(Letter.district_id))).where(
                Letter.campaign_id == campaign.id, Letter.district_id.is_not(None)
            )
        )
        or 0
    )
    by_party = [
        {"party": party or "No party", "letters": count}
        for party, count in session.execute(
            select(Letter.party, func.count())
            .where(Letter.campaign_id == campaign.id)
            .group_by(Letter.party)
            .order_by(func.count().desc(), Letter.party)
        )
    ]
    by_status = _letters_by_status(session, campaign)
    obstacles = dict(
        session.execute(
            select(LetterObstacle.reason, func.count(func.distinct(LetterObstacle.user_id)))
            .where(LetterObstacle.campaign_id == campaign.id)
            .group_by(LetterObstacle.reason)
        ).all()
    )
    return {
        "letters": letters,
        "ridings": ridings,
        "seats": campaign.jurisdiction.seats,
        "goal_letters": campaign.goal_letters,
        "goal_ridings": campaign.goal_ridings,
        "by_party": by_party,
        "by_status": by_status,
        "stopped_vacant": obstacles.get("vacant", 0),
        "stopped_no_address": obstacles.get("no_address", 0),
    }


def public_counts(session: Session, campaign: Campaign) -> dict:
    """Letters and ridings reached, in one query: what the public campaign page shows."""
    letters, ridings = session.execute(
        select(func.count(Letter.id), func.count(func.distinct(Letter.district_id))).where(
            Letter.campaign_id == campaign.id
        )
    ).one()
    return {"letters": letters or 0, "ridings": ridings or 0, "seats": campaign.jurisdiction.seats}


def letter_counts_by_campaign(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    if not campaign_ids:
        return {}
    return dict(
        session.execute(
            select(Letter.campaign_id, func.count())
            .where(Letter.campaign_id.in_(campaign_ids))
            .group_by(Letter.campaign_id)
        ).all()
    )


def sent_person_ids(session: Session, campaign_id: int, user_id: int) -> dict[int, int]:
    """person id → letter id, for the targets this member has already written to in the campaign."""
    return dict(
        session.execute(
            select(Letter.person_id, Letter.id).where(
                and_(Letter.campaign_id == campaign_id, Letter.user_id == user_id)
            )
        ).all()
    )


def stopped_by_legislature(session: Session) -> list[tuple[str, str, int, int]]:
    """(legislature, member title, members stopped by a missing address, by a vacant seat) per legislature with
    any, across its campaigns: where the directory needs addresses most."""
    from crm.reference.models import Jurisdiction

    no_address = func.count(func.distinct(case((LetterObstacle.reason == "no_address", LetterObstacle.user_id))))
    vacant = func.count(func.distinct(case((LetterObstacle.reason == "vacant", LetterObstacle.user_id))))
    rows = session.execute(
        select(Jurisdiction.legislature_name, Jurisdiction.member_title, no_address, vacant)
        .select_from(LetterObstacle)
        .join(Campaign, Campaign.id == LetterObstacle.campaign_id)
        .join(Jurisdiction, Jurisdiction.id == Campaign.jurisdiction_id)
        .group_by(Jurisdiction.legislature_name, Jurisdiction.member_title)
        .order_by(no_address.desc(), Jurisdiction.legislature_name)
    )
    return [tuple(row) for row in rows]
