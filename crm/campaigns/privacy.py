"""Letters in a member's data export, and scrubbed (but still counted) when a member is erased."""

from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from crm.campaigns.models import Campaign, Letter, PendingLetter
from crm.lib.schedule import DailyAt, scheduled_job
from crm.members.models import MemberProfile
from crm.members.privacy import ERASED, MemberDataSource, register_member_data


def _export(session, user_id: int) -> list[dict]:
    letters = session.scalars(
        select(Letter)
        .where(Letter.user_id == user_id)
        .order_by(Letter.id)
        .options(joinedload(Letter.campaign), joinedload(Letter.person), joinedload(Letter.message))
    )
    return [
        {
            "campaign": letter.campaign.name,
            "to": letter.person.full_name,
            "to_address": letter.to_address,
            "subject": letter.subject,
            "body": letter.body,
            "status": letter.status,
            "sent_at": letter.created_at,
        }
        for letter in letters
    ]


def _erase(session, user_id: int) -> None:
    """The letter stays (campaign, riding, party, date: the counts), its words go."""
    session.execute(update(Letter).where(Letter.user_id == user_id).values(subject=ERASED, body=ERASED, signature=None))
    session.execute(delete(PendingLetter).where(PendingLetter.user_id == user_id))


register_member_data(MemberDataSource("letters", _export, _erase))


def _export_joined_through(session, user_id: int) -> list[dict]:
    name = session.scalar(
        select(Campaign.name)
        .join(MemberProfile, MemberProfile.joined_via_campaign_id == Campaign.id)
        .where(MemberProfile.user_id == user_id)
    )
    return [{"campaign": name}] if name else []


def _keep(session, user_id: int) -> None:
    """Which campaign someone joined through is a count, not personal text: erasure keeps it."""


register_member_data(MemberDataSource("joined_through_campaign", _export_joined_through, _keep))


RETIRED = "[removed after the retention period]"
FINAL_STATES = ("accepted", "delivered", "bounced", "dropped", "failed", "cancelled")


def scrub_old_letters(session, before) -> int:
    """Remove the words of letters older than `before` (metadata stays); returns how many were scrubbed.

    The outbox copy goes too, but only once the message is in a final state: a letter still being
    delivered keeps its text.
    """
    from crm.outbox.models import OutboundMessage

    done = select(OutboundMessage.id).where(
        OutboundMessage.kind == "letter", OutboundMessage.created_at < before, OutboundMessage.status.in_(FINAL_STATES)
    )
    scrubbed = session.execute(
        update(Letter)
        .where(
            Letter.created_at < before,
            Letter.body != RETIRED,
            Letter.body != ERASED,
            (Letter.message_id.is_(None)) | Letter.message_id.in_(done),
        )
        .values(body=RETIRED, signature=None)
    ).rowcount
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(done), OutboundMessage.text_body != RETIRED)
        .values(text_body=RETIRED, html_body=None)
    )
    return scrubbed or 0


@scheduled_job("letter-retention", DailyAt(3), "Remove the words of letters older than LETTER_RETENTION_DAYS")
def scrub_letters_job(session, now) -> dict:
    from datetime import timedelta

    from flask import current_app

    days = current_app.config["LETTER_RETENTION_DAYS"]
    return {"letters": scrub_old_letters(session, now - timedelta(days=days))}
