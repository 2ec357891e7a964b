"""Members' #mppchats reports: a member tells ITPO about a talk with their MPP, logged as an interaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.auth.models import User
from crm.interactions.models import Interaction, InteractionHashtag, Participant

# Something that "happened" may be logged up to a day ahead (time zones, late-evening meetings).
from crm.interactions.services import FORMAT_KIND, _check_when, _replace_participants, interaction_loader_options
from crm.lib.errors import ValidationError
from crm.reference.models import Jurisdiction
from crm.stakeholders.models import ElectedOffice, Person


@dataclass
class MppChatInput:
    """What a member reports about a conversation with their MPP."""

    occurred_on: date
    meeting_format: str
    person_id: int
    summary: str
    outcome: str | None = None


def current_mpps(session: Session) -> list[tuple[Person, ElectedOffice]]:
    """Every sitting Ontario MPP with their office, by riding name."""
    from crm.reference.models import ElectoralDistrict

    rows = session.execute(
        select(Person, ElectedOffice)
        .join(ElectedOffice, ElectedOffice.person_id == Person.id)
        .join(Jurisdiction, Jurisdiction.id == ElectedOffice.jurisdiction_id)
        .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
        .where(ElectedOffice.current.is_(True), Jurisdiction.code == "ON")
        .options(joinedload(ElectedOffice.district))
        .order_by(ElectoralDistrict.name)
    ).all()
    return [(person, office) for person, office in rows]


def mpp_for_member(session: Session, user: User) -> Person | None:
    """The sitting MPP of the member's riding, if the profile places them in one."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.district_id is None:
        return None
    return session.scalar(
        select(Person)
        .join(ElectedOffice, ElectedOffice.person_id == Person.id)
        .where(ElectedOffice.district_id == profile.district_id, ElectedOffice.current.is_(True))
    )


def _apply_report(
    session: Session, interaction: Interaction, member: User, data: MppChatInput, now: datetime | None
) -> None:
    if data.meeting_format not in FORMAT_KIND:
        raise ValidationError(
            "meeting_format", gettext("Choose how you talked: in person, virtual, phone or social media.")
        )
    occurred_at = datetime.combine(data.occurred_on, time(0, 0))
    _check_when(occurred_at, now)
    mpp = session.scalar(
        select(Person)
        .join(ElectedOffice, ElectedOffice.person_id == Person.id)
        .where(Person.id == data.person_id, ElectedOffice.current.is_(True))
    )
    if mpp is None:
        raise ValidationError("person_id", gettext("Choose your MPP from the list."))
    ontario = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
    interaction.kind = FORMAT_KIND[data.meeting_format]
    interaction.meeting_format = data.meeting_format
    interaction.occurred_at = occurred_at
    interaction.title = f"#mppchats: {member.name} with {mpp.full_name}"[:200]
    interaction.summary = data.summary
    interaction.outcome = data.outcome
    interaction.jurisdiction = ontario
    if not interaction.hashtags:
        interaction.hashtags = "#mppchats"
        interaction.tags = [InteractionHashtag(tag="#mppchats")]
    _replace_participants(
        interaction,
        [
            Participant(side="stakeholder", role="target", person=mpp),
            Participant(side="itpo", role="reporter", user=member),
        ],
    )


def report_mppchat(session: Session, member: User, data: MppChatInput, now: datetime | None = None) -> Interaction:
    """A member's own #mppchats conversation becomes an interaction the committee can follow up."""
    interaction = Interaction(author=member, member_report=True)
    _apply_report(session, interaction, member, data, now)
    session.add(interaction)
    session.flush()
    return interaction


def update_mppchat(
    session: Session, interaction: Interaction, member: User, data: MppChatInput, now: datetime | None = None
) -> Interaction:
    _apply_report(session, interaction, member, data, now)
    session.flush()
    return interaction


def member_reports(user_id: int):
    return (
        select(Interaction)
        .where(Interaction.member_report.is_(True), Interaction.author_id == user_id)
        .options(*interaction_loader_options())
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
