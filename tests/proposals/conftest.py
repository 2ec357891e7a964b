"""Fixtures for proposals: a logged-in committee member, proposals with versions, small PDFs, the asks."""

import io

import pytest

from crm.extensions import db
from crm.reference.models import Jurisdiction


def make_pdf(size: int = 0) -> bytes:
    """A minimal well-formed PDF, padded (inside a comment) to about `size` bytes."""
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"trailer << /Root 1 0 R >>\n%%EOF\n"
    padding = max(0, size - len(head) - len(tail))
    return head + (b"%" + b"x" * (padding - 2) + b"\n" if padding > 2 else b"") + tail


def upload(data: bytes, name: str = "proposal.pdf"):
    return (io.BytesIO(data), name)


@pytest.fixture
def committee(browser, make_user, app_ctx):
    """A browser logged in as a committee member; `.user` is the account."""
    browser.user = make_user("committee")
    browser.login(browser.user.email)
    return browser


def jurisdiction(code: str) -> Jurisdiction:
    return db.session.scalar(db.select(Jurisdiction).where(Jurisdiction.code == code))


@pytest.fixture
def make_proposal(app_ctx, make_user):
    """make_proposal("ON", ["body v1", "body v2"], draft="body v3"): published versions, then an optional draft."""
    from crm.proposals import services

    authors = []

    def _make(code="ON", published=("# Proposal\n\nFirst text.",), draft=None, author=None):
        if author is None:
            authors[:] = authors or [make_user("committee")]  # one account: hashing passwords is slow
            author = authors[0]
        proposal = services.create_proposal(
            db.session, jurisdiction_id=jurisdiction(code).id, title=None, author_id=author.id
        )
        version = proposal.versions[0]
        for number, body in enumerate(published, start=1):
            if number > 1:
                version = services.start_next_version(db.session, proposal.id, author_id=author.id)
            services.update_draft(db.session, version, body=body, change_summary=f"Changes in v{number}.")
            services.publish_version(db.session, version)
        if draft is not None:
            version = services.start_next_version(db.session, proposal.id, author_id=author.id)
            services.update_draft(db.session, version, body=draft, change_summary="Draft changes.")
        db.session.commit()
        return proposal

    return _make


@pytest.fixture
def asks(app_ctx):
    """The three asks and the PRA statuses from the shipped data."""
    from crm.proposals.asks import seed_asks, seed_pra_statuses

    seed_asks(db.session)
    seed_pra_statuses(db.session)
    db.session.commit()
    return db.session


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.n is the number of SQL statements run."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def _count():
        class Counter:
            n = 0

        def before(*_args, **_kwargs):
            Counter.n += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield Counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _count
