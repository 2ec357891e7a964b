"""Program registrations and speaker offers in a member's data export; offers' words go on erasure."""

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from crm.members.privacy import ERASED, MemberDataSource, register_member_data
from crm.programs.models import Registration, SpeakerOffer


def _export(session, user_id: int) -> list[dict]:
    rows = [
        {"event": r.event.title, "status": r.status, "since": r.queued_at, "cancelled_at": r.cancelled_at}
        for r in session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .options(joinedload(Registration.event))
            .order_by(Registration.id)
        )
    ]
    rows += [
        {
            "speaker_offer": offer.topic,
            "route": offer.route,
            "status": offer.status,
            "consent_to_be_featured": offer.consent_featured,
        }
        for offer in session.scalars(select(SpeakerOffer).where(SpeakerOffer.user_id == user_id))
    ]
    return rows


def _erase(session, user_id: int) -> None:
    """Registrations stay (reach counts); what the member wrote about themselves goes."""
    session.execute(
        update(SpeakerOffer).where(SpeakerOffer.user_id == user_id).values(topic=ERASED, consent_featured=False)
    )


register_member_data(MemberDataSource("programs", _export, _erase))
