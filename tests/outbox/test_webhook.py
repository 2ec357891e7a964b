"""The SendGrid Event Webhook: signatures, freshness, dedup, forward-only statuses, bounce counting."""

import base64
import json
import random
import time

import pytest
from sqlalchemy import func, insert, select

from crm.outbox.models import AddressHealth, DeliveryEvent, OutboundMessage
from crm.outbox.services import queue_message, utcnow
from crm.outbox.signals import address_failing
from tests.outbox.fake_sendgrid import FakeSendGrid, event

URL = "/webhooks/sendgrid"


def letter(session, to="mpp@example.org", status="accepted", provider_id=None):
    message = queue_message(session, kind="letter", to=to, subject="s", text="t")
    message.status = status
    message.provider_message_id = provider_id
    session.commit()
    return message.id


def post(client, server, events, **kwargs):
    body, headers = server.signed(events, **kwargs)
    return client.post(URL, data=body, headers=headers)


def status_of(session, message_id):
    session.expire_all()
    return session.get(OutboundMessage, message_id).status


def test_signed_events_move_messages_and_the_webhook_needs_no_csrf_token(client, session, sendgrid):
    message_id = letter(session)
    response = post(client, sendgrid, [event("delivered", message_id)])
    assert response.status_code == 200 and response.json["new"] == 1
    assert status_of(session, message_id) == "delivered"


def test_events_without_our_custom_arg_are_matched_by_provider_message_id(client, session, sendgrid):
    message_id = letter(session, provider_id="xyz789")
    stray = event("bounce", 0, provider_id="xyz789", reason="550 no such user")
    del stray["crm_message_id"]
    assert post(client, sendgrid, [stray]).status_code == 200
    assert status_of(session, message_id) == "bounced"


@pytest.mark.parametrize("signature", ["", "not base64 !!", base64.b64encode(b"garbage").decode()])
def test_a_malformed_or_wrong_signature_is_a_403_not_a_500(client, session, sendgrid, signature):
    body, headers = sendgrid.signed([event("delivered", 1)])
    headers["X-Twilio-Email-Event-Webhook-Signature"] = signature
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "bad_signature"


def test_events_signed_by_another_key_are_refused(client, session, sendgrid):
    stranger = FakeSendGrid()
    message_id = letter(session)
    assert post(client, stranger, [event("delivered", message_id)]).status_code == 403
    assert status_of(session, message_id) == "accepted"


def test_a_tampered_body_is_refused(client, sendgrid):
    body, headers = sendgrid.signed([event("delivered", 1)])
    assert client.post(URL, data=body.replace(b"delivered", b"bounce"), headers=headers).status_code == 403


def test_a_stale_timestamp_is_refused(client, sendgrid):
    response = post(client, sendgrid, [event("delivered", 1)], timestamp=int(time.time()) - 3600)
    assert response.status_code == 403 and "freshness" in response.json["error"]["message"]


def test_bad_json_and_oversized_bodies_are_refused_with_4xx(app, client, sendgrid):
    body, headers = sendgrid.signed(b"{not json")
    assert client.post(URL, data=body, headers=headers).status_code == 400
    body, headers = sendgrid.signed(b'{"event": "delivered"}')
    assert client.post(URL, data=body, headers=headers).status_code == 400
    big = b"[" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"]"
    body, headers = sendgrid.signed(big)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 413 and response.is_json


def test_without_a_configured_key_the_webhook_refuses_everything(app, client):
    assert app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] is None
    assert client.post(URL, data=b"[]").status_code == 503


def test_an_event_sent_three_times_is_stored_once(client, session, sendgrid):
    message_id = letter(session)
    bounce = event("bounce", message_id, reason="mailbox full")
    for _ in range(3):
        assert post(client, sendgrid, [bounce]).status_code == 200
    assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == 1
    assert session.scalar(select(AddressHealth.bounces)) == 1


def test_statuses_only_move_forward(client, session, sendgrid):
    message_id = letter(session)
    post(client, sendgrid, [event("delivered", message_id)])
    post(client, sendgrid, [event("deferred", message_id), event("processed", message_id)])
    assert status_of(session, message_id) == "delivered"
    other = letter(session, to="other@example.org")
    post(client, sendgrid, [event("deferred", other)])
    assert status_of(session, other) == "deferred"
    post(client, sendgrid, [event("delivered", other)])
    assert status_of(session, other) == "delivered"


def test_bounces_past_the_threshold_mark_the_address_failing(app, client, session, sendgrid):
    failing = []

    def receiver(sender, **kwargs):
        failing.append((kwargs["address"], kwargs["bounces"]))

    address_failing.connect(receiver)
    try:
        for _ in range(app.config["MAIL_BOUNCE_THRESHOLD"]):
            message_id = letter(session, to="Gone@Example.org")
            post(client, sendgrid, [event("bounce", message_id, email="Gone@Example.org", reason="550")])
    finally:
        address_failing.disconnect(receiver)
    health = session.scalar(select(AddressHealth))
    assert health.address == "gone@example.org" and health.failing and health.last_reason == "550"
    assert failing == [("gone@example.org", app.config["MAIL_BOUNCE_THRESHOLD"])]


def test_ten_thousand_events_each_sent_three_times_shuffled_end_in_the_right_status(client, session, sendgrid):
    outcomes = {"delivered": "delivered", "bounce": "bounced", "dropped": "dropped", "deferred": "deferred"}
    now = utcnow()
    session.execute(
        insert(OutboundMessage),
        [
            {
                "id": i,
                "kind": "letter",
                "to_address": f"m{i}@example.org",
                "from_address": "itpo@example.org",
                "subject": "s",
                "text_body": "t",
                "status": "accepted",
                "attempts": 1,
                "next_attempt_at": now,
                "possible_duplicate": False,
            }
            for i in range(1, 2501)
        ],
    )
    session.commit()
    expected, events = {}, []
    for i in range(1, 2501):
        final = list(outcomes)[i % 4]
        chain = {
            "delivered": ["processed", "deferred", "delivered", "open"],
            "bounce": ["processed", "deferred", "deferred", "bounce"],
            "dropped": ["processed", "dropped", "deferred", "click"],
            "deferred": ["processed", "deferred", "deferred", "deferred"],
        }[final]
        events += [event(kind, i, email=f"m{i}@example.org") for kind in chain]
        expected[i] = outcomes[final]
    assert len(events) == 10_000
    deliveries = events * 3
    random.Random(3).shuffle(deliveries)
    for start in range(0, len(deliveries), 1000):
        assert post(client, sendgrid, deliveries[start : start + 1000]).status_code == 200
    session.expire_all()
    actual = dict(session.execute(select(OutboundMessage.id, OutboundMessage.status)).all())
    assert actual == expected
    assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == len(events)
    assert session.scalar(select(func.sum(AddressHealth.bounces))) == 625


def test_junk_events_in_a_batch_are_ignored_not_fatal(client, session, sendgrid):
    message_id = letter(session)
    response = post(
        client,
        sendgrid,
        [1, "x", {"event": "delivered"}, event("delivered", message_id), event("delivered", "not-a-number")],
    )
    assert response.status_code == 200 and response.json["ignored"] == 3
    assert status_of(session, message_id) == "delivered"
    assert json.loads(response.data)["new"] == 2


def test_a_body_nested_100000_deep_is_a_400_not_a_500(client, sendgrid):
    for deep in (b"[" * 100_000 + b"]" * 100_000, b'[{"a":' * 50_000 + b"1" + b"}]" * 50_000, b"[" * 100_000):
        body, headers = sendgrid.signed(deep)
        response = client.post(URL, data=body, headers=headers)
        assert response.status_code == 400 and response.json["error"]["code"] == "too_deep", response.json
        assert "nested" in response.json["error"]["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(client, session, sendgrid):
    message_id = letter(session)
    response = post(client, sendgrid, [event("bounce", message_id, reason='550 "[[[[' + "[{" * 5000 + '\\"')])
    assert response.status_code == 200 and response.json["new"] == 1


def test_nul_characters_are_cleaned_from_stored_text_and_a_nul_id_is_rejected(client, session, sendgrid):
    message_id = letter(session, to="mpp@example.org")
    good = event(
        "bounce",
        message_id,
        email="mpp\x00@example.org",
        reason="550\x00 gone",
        sg_event_id="good-1",
        provider_id="abc\x00def",
    )
    bad = event("delivered", message_id, sg_event_id="bad\x00id")
    response = post(client, sendgrid, [good, bad])
    assert response.status_code == 200 and response.json["new"] == 1 and response.json["ignored"] == 1
    assert response.json["rejected"] == [{"index": 1, "reason": "sg_event_id must be text without control characters."}]
    stored = session.scalar(select(DeliveryEvent))
    assert (stored.provider_event_id, stored.address, stored.reason) == ("good-1", "mpp@example.org", "550 gone")
    assert "\x00" not in stored.provider_message_id
    assert session.scalar(select(AddressHealth.last_reason)) == "550 gone"


ODD_VALUES = ["\x00", "\ud800", "x" * 100_000, 10**30, -1, 1.5e300, True, None, [1, [2]], {"a": "\x00"}, ""]


@pytest.mark.parametrize(
    "field", ["event", "sg_event_id", "sg_message_id", "email", "reason", "response", "timestamp", "crm_message_id"]
)
def test_odd_values_in_any_field_never_make_a_500_and_the_good_events_are_kept(client, session, sendgrid, field):
    message_id = letter(session)
    odd = [event("bounce", message_id, **{field: value}) for value in ODD_VALUES]
    response = post(client, sendgrid, odd + [event("delivered", message_id, sg_event_id="the-good-one")])
    assert response.status_code == 200, response.json
    assert response.json["new"] + response.json["ignored"] + response.json["duplicate"] == len(odd) + 1
    assert session.scalar(select(DeliveryEvent).where(DeliveryEvent.provider_event_id == "the-good-one"))


def test_a_batch_of_only_bad_events_is_a_400_that_says_which(client, sendgrid):
    response = post(client, sendgrid, [{"event": "delivered", "sg_event_id": "a\x00"}, 7])
    assert response.status_code == 400 and response.json["error"]["code"] == "no_valid_events"
    assert [item["index"] for item in response.json["rejected"]] == [0, 1]


def test_an_empty_batch_is_fine(client, sendgrid):
    assert post(client, sendgrid, []).status_code == 200
