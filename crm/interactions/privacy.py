"""A member's own #mppchats reports in their data export; erased members' reports keep only the fact."""

from sqlalchemy import select, update

from crm.interactions.models import Interaction
from crm.members.privacy import MemberDataSource, register_member_data


def _export(session, user_id: int) -> list[dict]:
    reports = session.scalars(
        select(Interaction)
        .where(Interaction.author_id == user_id, Interaction.member_report.is_(True))
        .order_by(Interaction.id)
    )
    return [
        {"title": r.title, "when": r.occurred_at, "kind": r.kind, "summary": r.summary, "outcome": r.outcome}
        for r in reports
    ]


def _erase(session, user_id: int) -> None:
    session.execute(
        update(Interaction)
        .where(Interaction.author_id == user_id, Interaction.member_report.is_(True))
        .values(title="A member's report (erased)", summary=None, outcome=None)
    )


register_member_data(MemberDataSource("mppchats_reports", _export, _erase))
