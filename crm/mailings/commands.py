"""What `flask crm mailing send` does, as a service: find the draft, count, and queue it now."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign
from crm.lib.errors import ValidationError
from crm.mailings import services
from crm.mailings.models import Mailing, Segment
from crm.mailings.segments import count_members
from crm.outbox.bulk import external_url
from crm.outbox.services import utcnow


class CommandProblem(Exception):
    """The command cannot go on; the message says what to do."""


def send_draft(session: Session, slug: str, segment_name: str, *, dry_run: bool) -> tuple[int, int]:
    """(members matched, messages queued) for the campaign's newest draft mailing, sent to the named segment."""
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise CommandProblem(f"No campaign has the address {slug!r}.")
    segment = session.scalar(select(Segment).where(func.lower(Segment.name) == segment_name.strip().lower()))
    if segment is None:
        raise CommandProblem(f"No saved segment is called {segment_name!r}; save it on the Segments page first.")
    count = count_members(session, segment.filters)
    if dry_run:
        return count, 0
    mailing = session.scalar(
        select(Mailing)
        .where(Mailing.campaign_id == campaign.id, Mailing.status == "draft")
        .order_by(Mailing.id.desc())
        .limit(1)
    )
    if mailing is None:
        raise CommandProblem("This campaign has no draft mailing: write one on its Mailings page first.")
    mailing.segment_id = segment.id
    session.flush()
    external_url("mailings.act", token="x")  # fails early, before anything is queued, if links cannot be made
    try:
        services.send_mailing(session, mailing, actor_id=None)
    except (ValidationError, services.MailingNotDraft) as problem:
        raise CommandProblem(getattr(problem, "message", "The mailing was sent meanwhile.")) from None
    services.send_due_mailings(session, utcnow())
    session.refresh(mailing)
    return count, mailing.recipients
