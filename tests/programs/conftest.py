"""Program fixtures: the four programs seeded, and a factory for events at Toronto wall-clock times."""

from datetime import datetime, timedelta

import pytest

from crm.extensions import db


@pytest.fixture
def programs(app):
    """The four programs; returns {slug: id}."""
    from crm.programs.models import Program
    from crm.programs.services import seed_programs

    with app.app_context():
        seed_programs(db.session)
        db.session.commit()
        ids = {p.slug: p.id for p in db.session.query(Program)}
        db.session.remove()
    return ids


@pytest.fixture
def make_event(app, programs):
    """Create an event; `starts` is a naive Toronto time (default: a week from now). Returns its id."""
    from crm.programs.calendar import utc_to_toronto
    from crm.programs.services import create_event

    def _make(
        title="Cracking the CaRMS: interview tips",
        program="cracking",
        starts=None,
        hours=1.5,
        capacity=30,
        status="open",
        join_url="https://zoom.example/j/123",
        description="Residents share what worked.",
    ):
        if starts is None:
            starts = utc_to_toronto(datetime.utcnow() + timedelta(days=7)).replace(tzinfo=None, second=0, microsecond=0)
        with app.app_context():
            event = create_event(
                db.session,
                program_id=programs[program],
                title=title,
                description=description,
                starts_local=starts,
                ends_local=starts + timedelta(hours=hours),
                capacity=capacity,
                status=status,
                join_url=join_url,
            )
            db.session.commit()
            event_id = event.id
            db.session.remove()
        return event_id

    return _make


def run(app, fn, *args, **kwargs):
    """Call a service in its own app context and commit; returns the result (detached)."""
    with app.app_context():
        result = fn(db.session, *args, **kwargs)
        db.session.commit()
        for item in result if isinstance(result, list) else [result]:
            if hasattr(item, "_sa_instance_state"):
                db.session.refresh(item)
        db.session.expunge_all()
        db.session.remove()
    return result
