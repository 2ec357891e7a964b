"""Speakers: members offer to speak, the committee reviews the offers and assigns speakers to events."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.lib.errors import ValidationError
from crm.members.models import ConsentRecord
from crm.programs.models import Event, EventSpeaker, Program, SpeakerOffer
from crm.programs.services import utcnow

SPEAKER_CONSENT_WORDING = _l(
    "Yes, ITPO may name me, and describe my route to practice, on its program pages and in event announcements."
)


def offer_to_speak(
    session: Session,
    *,
    user_id: int,
    route: str,
    topic: str,
    consent_featured: bool,
    program_id: int | None,
    ip_address: str | None = None,
) -> SpeakerOffer:
    """Record a speaker offer, with the consent answer kept as evidence."""
    from crm.programs.models import SPEAKER_ROUTES

    if route not in dict(SPEAKER_ROUTES):
        raise ValidationError("route", gettext("Choose how you reached practice."))
    if program_id is not None and session.get(Program, program_id) is None:
        raise ValidationError("program_id", gettext("Choose one of the programs."))
    pending = session.scalar(
        select(SpeakerOffer).where(SpeakerOffer.user_id == user_id, SpeakerOffer.status == "pending")
    )
    if pending is not None:
        raise ValidationError(None, gettext("You already have an offer waiting for the committee's review."))
    offer = SpeakerOffer(
        user_id=user_id,
        route=route,
        topic=topic.strip(),
        consent_featured=bool(consent_featured),
        program_id=program_id,
    )
    session.add(offer)
    session.add(
        ConsentRecord(
            user_id=user_id,
            purpose="speaker_featured",
            granted=bool(consent_featured),
            wording=str(SPEAKER_CONSENT_WORDING),
            wording_version=current_app.config["CONSENT_WORDING_VERSION"],
            source="speaker_offer",
            ip_address=ip_address,
        )
    )
    session.flush()
    return offer


def review_offer(session: Session, offer_id: int, decision: str, reviewer_id: int) -> SpeakerOffer:
    offer = session.get(SpeakerOffer, offer_id)
    if offer is None:
        raise ValidationError(None, gettext("That offer no longer exists."))
    if decision not in ("accepted", "declined"):
        raise ValidationError("decision", gettext("Accept or decline the offer."))
    offer.status, offer.reviewed_by_id, offer.reviewed_at = decision, reviewer_id, utcnow()
    if decision == "declined":
        session.execute(delete(EventSpeaker).where(EventSpeaker.offer_id == offer_id))
    session.flush()
    return offer


def assign_speaker(session: Session, event_id: int, offer_id: int) -> None:
    offer = session.get(SpeakerOffer, offer_id)
    if offer is None or offer.status != "accepted":
        raise ValidationError("offer_id", gettext("Only accepted speaker offers can be assigned."))
    if session.get(Event, event_id) is None:
        raise ValidationError(None, gettext("That event no longer exists."))
    exists = session.scalar(
        select(EventSpeaker.id).where(EventSpeaker.event_id == event_id, EventSpeaker.offer_id == offer_id)
    )
    if exists is None:
        session.add(EventSpeaker(event_id=event_id, offer_id=offer_id))
        session.flush()
        session.expire_all()


def unassign_speaker(session: Session, event_id: int, offer_id: int) -> None:
    session.execute(delete(EventSpeaker).where(EventSpeaker.event_id == event_id, EventSpeaker.offer_id == offer_id))
    session.flush()
    session.expire_all()


def speaker_name(offer: SpeakerOffer) -> str:
    """How a speaker is named in public: by name only with their consent."""
    return offer.user.name if offer.consent_featured else "An ITPO member"
