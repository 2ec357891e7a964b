"""Members' reports of an office's reply appear on the official's (and their organization's) timeline."""

from flask import url_for
from sqlalchemy import literal, select
from sqlalchemy.orm import Session, joinedload

from crm.interactions.timeline import TimelineEntry, TimelineSource, register_timeline_source
from crm.replies.models import LetterReply
from crm.stakeholders.models import Person


def _reply_rows(person_id: int | None, organization_id: int | None):
    stmt = select(
        literal("reply").label("kind"), LetterReply.answered_at.label("occurred_at"), LetterReply.id.label("ref_id")
    ).where(LetterReply.answered_at.is_not(None))
    if person_id is not None:
        return stmt.where(LetterReply.person_id == person_id)
    staff = select(Person.id).where(Person.organization_id == organization_id).scalar_subquery()
    return stmt.where(LetterReply.person_id.in_(staff))


def title(reply: LetterReply) -> str:
    """What the timeline says: the answer and tone, never the member's name."""
    words = f"A member reports on their letter (campaign {reply.campaign.name}): {reply.answer_label.lower()}"
    if reply.tone_label:
        words += f", {reply.tone_label.lower()} in tone"
    return words + (" (now a stance)" if reply.stance_id else "")


def _load_replies(session: Session, ids: list[int]) -> dict[int, TimelineEntry]:
    replies = session.scalars(
        select(LetterReply).where(LetterReply.id.in_(ids)).options(joinedload(LetterReply.campaign))
    )
    return {
        reply.id: TimelineEntry(
            "reply", reply.answered_at, reply, title(reply), url_for("replies.detail", reply_id=reply.id)
        )
        for reply in replies
    }


register_timeline_source(TimelineSource("reply", _reply_rows, _load_replies))
