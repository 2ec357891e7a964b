"""Emails to members: consent only, CASL footer, one-click unsubscribe, bulk personalizations."""

from urllib.parse import urlsplit

from sqlalchemy import select

from crm.extensions import db
from crm.mailings.segments import stream_members
from crm.members.models import ConsentRecord, MemberProfile
from crm.outbox.bulk import queue_personal_emails, read_unsubscribe_token, start_personal_batch, unsubscribe_token
from crm.outbox.models import OutboundMessage, Suppression
from crm.outbox.signals import address_unsubscribed
from crm.outbox.worker import run_pass


def consenting(session) -> list[tuple[int, str]]:
    """(user id, address) of every member a mailing may reach (the segment with no filters)."""
    return [(row[0], row[1]) for chunk in stream_members(session, {}) for row in chunk]


def queue_to(session, recipients, subject: str, text: str, kind: str = "call_to_action"):
    """One member email to each recipient, through the personal-batch path mailings and surveys use."""
    batch = start_personal_batch(session, kind=kind, subject=subject)
    queue_personal_emails(session, batch, [(user_id, address, subject, text) for user_id, address in recipients])
    return batch


def member(session, make_user, consent: bool, **kwargs):
    user = make_user("member", **kwargs)
    session.add(MemberProfile(user_id=user.id, province="ON"))  # every member has one from joining
    session.add(
        ConsentRecord(
            user_id=user.id,
            purpose="itpo_email",
            granted=consent,
            wording="Email me",
            wording_version="2026-11",
            source="join_form",
        )
    )
    session.commit()
    return user


def test_only_members_with_consent_on_record_are_recipients(session, make_user):
    yes, no = member(session, make_user, True), member(session, make_user, False)
    unconfirmed = member(session, make_user, True, confirmed=False)
    changed_mind = member(session, make_user, True)
    session.add(
        ConsentRecord(
            user_id=changed_mind.id,
            purpose="itpo_email",
            granted=False,
            wording="No more",
            wording_version="2026-11",
            source="profile",
        )
    )
    session.commit()
    assert consenting(session) == [(yes.id, yes.email)]
    assert no and unconfirmed


def test_member_email_has_a_casl_footer_and_a_one_click_unsubscribe(app, session, make_user, mailbox):
    user = member(session, make_user, True)
    others = [member(session, make_user, True) for _ in range(5)]
    queue_to(session, consenting(session), "Write to your MPP this week", "The PRA program needs you.")
    session.commit()
    sent = mailbox.deliver()
    assert len(sent) == 6 and len({m["List-Unsubscribe"] for m in sent}) == 6 and others
    [email] = [m for m in sent if m["To"] == user.email]
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "The PRA program needs you." in body
    assert app.config["ORG_MAILING_ADDRESS"] in body and "Internationally Trained Physicians" in body
    link = email["List-Unsubscribe"].strip("<>")
    assert link in body and "/unsubscribe/" in link
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["To"] == user.email


def test_unsubscribe_needs_no_login_asks_first_and_takes_effect_at_once_on_the_button(app, client, session, make_user):
    user, other = member(session, make_user, True), member(session, make_user, True)
    heard = []
    receiver = lambda sender, **kwargs: heard.append(kwargs["address"])  # noqa: E731
    address_unsubscribed.connect(receiver)
    try:
        queue_to(session, consenting(session), "Digest", "News", kind="digest")
        session.commit()
        # The link the member was sent (tokens for a bulk send are made in bulk), as the member's mail shows it.
        sent = select(OutboundMessage.unsubscribe_url).where(OutboundMessage.to_address == user.email)
        link = urlsplit(session.scalar(sent)).path
        assert read_unsubscribe_token(link.rsplit("/", 1)[1]) == {"a": user.email.lower(), "u": user.id}
        page = client.get(link)  # a link scanner or preview fetches it: nothing happens yet
        assert page.status_code == 200 and f'action="{link}"' in page.get_data(as_text=True)
        assert heard == [] and session.scalar(select(Suppression.id)) is None
        response = client.post(link)  # the member presses the button
    finally:
        address_unsubscribed.disconnect(receiver)
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(as_text=True)
    assert heard == [user.email]
    session.expire_all()
    statuses = dict(session.execute(select(OutboundMessage.to_address, OutboundMessage.status)).all())
    assert statuses == {user.email: "cancelled", other.email: "queued"}
    assert consenting(session) == [(other.id, other.email)]  # the consent record says no now: no mailing reaches it
    latest = session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.id.desc())
    ).first()
    assert latest.granted is False and latest.source == "unsubscribe_link"
    db.session.rollback()


def test_one_click_post_from_the_mail_client_unsubscribes_without_csrf(client, session, make_user):
    user = member(session, make_user, True)
    response = client.post(
        f"/unsubscribe/{unsubscribe_token(user.email, user.id)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 204
    assert session.scalar(select(Suppression.address)) == user.email
    again = client.post(
        f"/unsubscribe/{unsubscribe_token(user.email, user.id)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert again.status_code == 204


def test_a_forged_unsubscribe_link_is_a_404(client, session):
    assert client.get("/unsubscribe/not-a-token").status_code == 404
    assert session.scalar(select(Suppression.id)) is None


def test_a_bulk_send_uses_personalizations_up_to_mail_bulk_size_per_request(app, session, sendgrid):
    recipients = [(None, f"member{i}@example.org") for i in range(2300)]
    queue_to(session, recipients, "Act now", "Please write.")
    session.commit()
    assert app.config["MAIL_BULK_SIZE"] == 500  # the default: each recipient's own text makes a request large
    while run_pass(app, "bulk-worker"):
        pass
    assert [len(body["personalizations"]) for body in sendgrid.received] == [500, 500, 500, 500, 300]
    first = sendgrid.received[0]
    personalization = first["personalizations"][0]
    assert set(personalization["custom_args"]) == {"crm_message_id"}
    url = personalization["substitutions"]["-unsubscribe_url-"]
    assert "/unsubscribe/" in url and personalization["headers"]["List-Unsubscribe"] == f"<{url}>"
    assert "-unsubscribe_url-" in first["content"][0]["value"] and first["subject"] == "Act now"
    assert len(sendgrid.message_ids()) == 2300 and set(sendgrid.message_ids().values()) == {1}
    assert set(session.scalars(select(OutboundMessage.status))) == {"accepted"}


def test_a_personal_bulk_request_carries_each_members_own_subject_and_text_exactly(app, session, sendgrid):
    from crm.outbox.backends import BODY_TOKEN

    texts = ['Dear "Dr. Côté",\n\twrite now ✓', "a \\ backslash, </script> and \u2028", "Plain."]
    batch = start_personal_batch(session, kind="call_to_action", subject="Act now")
    emails = [(None, f"m{i}@example.org", f"Écrivez « {i} »", text) for i, text in enumerate(texts)]
    queue_personal_emails(session, batch, emails)
    session.commit()
    while run_pass(app, "bulk-worker"):
        pass
    [body] = sendgrid.received  # the fake server parsed the request's JSON
    people = body["personalizations"]
    assert [p["substitutions"][BODY_TOKEN] for p in people] == texts
    assert [p["subject"] for p in people] == [f"Écrivez « {i} »" for i in range(3)]
    assert [p["to"] for p in people] == [[{"email": f"m{i}@example.org"}] for i in range(3)]
    assert body["subject"] == "Act now" and body["content"][0]["value"].startswith(BODY_TOKEN)
    assert set(body) == {"personalizations", "from", "subject", "content"}
