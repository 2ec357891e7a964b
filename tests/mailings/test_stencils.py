"""A mailing is rendered once per language and riding with each member's name and link left open, then filled in
per member: every member must still get exactly the text a full render for them would give."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.campaigns import sandbox
from crm.extensions import db
from crm.mailings.models import Mailing, MailingRecipient
from crm.mailings.services import MAILING_PLACEHOLDERS, renderer_for
from crm.outbox.models import OutboundMessage
from tests.mailings.conftest import make_mailing, make_segment, run_due

IF_RIDING = (
    "Dear {{ member_name }},\n{% if member_riding == 'Ajax' %}Ajax needs you.{% else %}Your riding needs you."
    "{% endif %} Write to {{ representative_name }}: {{ action_link }}"
)


def _full_render(renderer, context: dict) -> tuple[str, str]:
    """What the renderer gave before stencils: both templates rendered in the sandbox for this member."""
    from crm.outbox.services import one_line

    mailing = renderer.mailing
    subject = sandbox.render(mailing.subject, context, names=MAILING_PLACEHOLDERS)
    return one_line(subject), sandbox.render(mailing.body, context, names=MAILING_PLACEHOLDERS)


@pytest.mark.parametrize(
    "subject, body, from_stencils",
    [
        ("{{ member_name }}, write to {{ representative_name }}", IF_RIDING, True),
        ("{{ member_name|upper }}, write today", "Dear {{ member_name }}: {{ action_link }}", False),
        ("Write today", "{% if member_name == 'Dr Two' %}Hello two{% endif %} {{ action_link }}", False),
    ],
)
def test_each_member_gets_the_text_a_full_render_would_give(
    app, session, make_campaign, make_reachable, subject, body, from_stencils
):
    campaign = make_campaign()
    members = [make_reachable(name="Dr One", riding=1), make_reachable(name="Dr Two", riding=2)]
    members.append(make_reachable(name="Dr Three", riding=1))
    mailing_id = make_mailing(app, campaign, make_segment(app), subject=subject, body=body)
    with app.test_request_context():
        renderer = renderer_for(db.session, db.session.get(Mailing, mailing_id))
        texts = set()
        for member in members:
            context = renderer.context(member.id, member.name, None, "Ajax" if member.name != "Dr Two" else "Oshawa")
            assert renderer.render(context) == _full_render(renderer, context)
            texts.add(renderer.render(context)[1])
        assert len(texts) == 3  # each their own name and link
        assert any(renderer.stencils.values()) is from_stencils  # per-member placeholders only printed as they are


def test_text_that_looks_like_a_stencil_hole_is_left_alone(app, session, make_campaign, make_reachable):
    campaign = make_campaign(name="Campaign \ue000member_name\ue001")
    member = make_reachable(name="Dr Hole")
    mailing_id = make_mailing(app, campaign, make_segment(app), body="{{ campaign_name }} {{ member_name }}")
    with app.test_request_context():
        renderer = renderer_for(db.session, db.session.get(Mailing, mailing_id))
        context = renderer.context(member.id, member.name, None, "Ajax")
        assert renderer.render(context)[1] == "Campaign \ue000member_name\ue001 Dr Hole"


def test_a_queued_mailing_holds_each_members_own_text(app, session, make_campaign, make_reachable):
    campaign = make_campaign()
    members = [make_reachable(name=f"Dr Queued {i}", riding=1 + i % 2) for i in range(4)]
    mailing_id = make_mailing(app, campaign, make_segment(app), body=IF_RIDING)
    with app.test_request_context():
        from crm.mailings.services import send_mailing

        send_mailing(db.session, db.session.get(Mailing, mailing_id), actor_id=None)
        db.session.commit()
    run_due(app)
    rows = session.execute(
        select(MailingRecipient.user_id, OutboundMessage.subject, OutboundMessage.text_body).join(
            OutboundMessage, OutboundMessage.id == MailingRecipient.message_id
        )
    ).all()
    assert len(rows) == 4
    for member in members:
        subject, text = next((subject, text) for user_id, subject, text in rows if user_id == member.id)
        assert subject.startswith(f"{member.name}, ") and text.startswith(f"Dear {member.name},\n")
        assert text.count("/act/") == 1
