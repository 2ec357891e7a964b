"""Survey answers in a member's data export; their words removed (the answer still counted) on erasure."""

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from crm.members.privacy import MemberDataSource, register_member_data
from crm.replies.models import LetterReply


def _export(session, user_id: int) -> list[dict]:
    replies = session.scalars(
        select(LetterReply)
        .where(LetterReply.user_id == user_id)
        .order_by(LetterReply.id)
        .options(joinedload(LetterReply.person), joinedload(LetterReply.campaign))
    )
    return [
        {
            "campaign": reply.campaign.name,
            "to": reply.person.full_name,
            "asked_at": reply.asked_at,
            "answer": reply.answer,
            "what_they_said": reply.reply_text,
            "tone": reply.tone,
            "answered_at": reply.answered_at,
        }
        for reply in replies
    ]


def _erase(session, user_id: int) -> None:
    session.execute(update(LetterReply).where(LetterReply.user_id == user_id).values(reply_text=None))


register_member_data(MemberDataSource("letter_replies", _export, _erase))
