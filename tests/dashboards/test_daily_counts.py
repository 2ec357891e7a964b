"""The committee dashboard reads daily counts that database triggers keep honest: whatever writes the interaction
log (a form, a Core bulk insert, an edit of the date, an archive, a person moving organization, an organization
changing kind), the dashboard shows what a direct count of the log shows."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from crm.extensions import db
from crm.lib.archive import set_archived


def _direct(session, start: date, end: date) -> tuple[dict, dict]:
    """Interactions by kind, and by kind of stakeholder organization, counted straight from the log."""
    from crm.interactions.models import Interaction, Participant
    from crm.stakeholders.models import Organization, Person

    window = (
        Interaction.archived.is_(False),
        Interaction.occurred_at >= datetime.combine(start, datetime.min.time()),
        Interaction.occurred_at < datetime.combine(end + timedelta(days=1), datetime.min.time()),
    )
    by_kind = dict(
        session.execute(select(Interaction.kind, func.count()).where(*window).group_by(Interaction.kind)).all()
    )
    organization = func.coalesce(Participant.organization_id, Person.organization_id)
    by_stakeholder = dict(
        session.execute(
            select(Organization.kind, func.count(func.distinct(Participant.interaction_id)))
            .select_from(Participant)
            .join(Interaction, Interaction.id == Participant.interaction_id)
            .outerjoin(Person, Person.id == Participant.person_id)
            .outerjoin(Organization, Organization.id == organization)
            .where(Participant.side == "stakeholder", *window)
            .group_by(Organization.kind)
        ).all()
    )
    return by_kind, by_stakeholder


def _shown(session, start: date, end: date) -> tuple[dict, dict]:
    from crm.dashboards.committee import NOT_RECORDED, activity
    from crm.stakeholders.models import ORGANIZATION_KINDS

    shown = activity(session, start, end, date.today())
    by_kind: dict = {}
    for (_, kind), n in shown.by_month.items():
        by_kind[kind] = by_kind.get(kind, 0) + n
    codes = {label: code for code, label in ORGANIZATION_KINDS} | {NOT_RECORDED: None}
    return by_kind, {codes[label]: n for label, n in shown.by_stakeholder_kind}


def test_the_dashboard_counts_match_the_log_through_every_kind_of_write(app, seeded):
    from crm.interactions import services
    from crm.interactions.models import Interaction, Participant
    from crm.lib.bulk import insert_rows
    from crm.stakeholders.models import Organization, Person

    today = date.today()
    start, end = today - timedelta(days=60), today
    with app.app_context():
        session = db.session
        cpso = session.scalar(select(Organization).where(Organization.acronym == "CPSO"))
        ally = Organization(name="Friendly Allies", kind="ally")
        person = Person(full_name="Moving Person", organization=cpso)
        session.add_all([ally, person])
        session.flush()

        def check(step: str):
            session.commit()
            assert _shown(session, start, end) == _direct(session, start, end), step
            session.commit()

        check("nothing yet")
        logged = []
        for days, kind in ((1, "meeting"), (2, "call"), (2, "meeting"), (30, "email")):
            logged.append(
                services.log_interaction(
                    session,
                    None,
                    services.InteractionInput(
                        kind=kind,
                        occurred_at=datetime.combine(today - timedelta(days=days), datetime.min.time()),
                        title=f"{kind} {days}",
                        participants=[
                            services.ParticipantInput(f"person:{person.id}"),
                            services.ParticipantInput(f"organization:{ally.id}"),
                        ],
                    ),
                )
            )
        check("logged through the service")
        when = datetime.combine(today - timedelta(days=5), datetime.min.time())
        ids = [
            row.id
            for row in session.execute(
                insert(Interaction).returning(Interaction.id),
                [
                    {
                        "kind": "event",
                        "occurred_at": when,
                        "title": f"Bulk {n}",
                        "member_report": False,
                        "archived": False,
                    }
                    for n in range(3)
                ],
            )
        ]
        insert_rows(
            session,
            Participant.__table__,
            [
                {
                    "interaction_id": i,
                    "organization_id": cpso.id,
                    "side": "stakeholder",
                    "role": "attendee",
                    "occurred_at": when,
                }
                for i in ids
            ],
        )
        check("bulk inserts")
        moved = logged[0]
        services.update_interaction(
            session,
            moved,
            services.InteractionInput(
                kind="call",
                occurred_at=datetime.combine(today - timedelta(days=20), datetime.min.time()),
                title=moved.title,
                participants=[services.ParticipantInput(f"person:{person.id}")],
            ),
        )
        check("an edit that moves the date, the kind and the participants")
        set_archived(session, logged[1], True)
        check("an archive")
        session.execute(update(Person).where(Person.id == person.id).values(organization_id=ally.id))
        check("a person moving organization")
        session.execute(update(Organization).where(Organization.id == ally.id).values(kind="media"))
        check("an organization changing kind")
        session.execute(
            update(Interaction)
            .where(Interaction.id == ids[0])
            .values(occurred_at=datetime.combine(today - timedelta(days=90), datetime.min.time()))
        )
        check("a date moved out of the period by a bulk update")
        by_kind, _ = _direct(session, start, end)
        assert by_kind == {"meeting": 1, "call": 1, "email": 1, "event": 2}  # the checks compared real numbers
        db.session.remove()
