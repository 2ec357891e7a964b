"""The fake SendGrid refuses what SendGrid's v3 /mail/send refuses, so a test that passes against it means something."""

import http.client
import json

import pytest

from tests.outbox.fake_sendgrid import API_KEY

GOOD = {
    "personalizations": [{"to": [{"email": "mpp@example.org"}], "custom_args": {"crm_message_id": "1"}}],
    "from": {"email": "letters@itpo.example", "name": "ITPO"},
    "subject": "Hello",
    "content": [{"type": "text/plain", "value": "Dear MPP"}],
}


def post(server, body, key=API_KEY, path="/v3/mail/send", connection=None):
    connection = connection or http.client.HTTPConnection(server.host.split("//")[1], timeout=5)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request("POST", path, data, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.getheader("X-Message-Id"), response.read()


def test_a_good_request_is_accepted_with_a_message_id_over_one_kept_alive_connection(sendgrid):
    connection = http.client.HTTPConnection(sendgrid.host.split("//")[1], timeout=5)
    answers = [post(sendgrid, GOOD, connection=connection) for _ in range(3)]
    assert [status for status, _, _ in answers] == [202, 202, 202]
    assert len({message_id for _, message_id, _ in answers}) == 3
    assert sendgrid.message_ids() == {1: 3}


@pytest.mark.parametrize(
    "change",
    [
        {"personalizations": []},
        {"personalizations": [{"to": []}]},
        {"personalizations": [{"to": [{"email": "mpp@example.org"}]}] * 1001},
        {"personalizations": [{"to": [{"email": "mpp@example.org"}], "custom_args": {"crm_message_id": 1}}]},
        {"from": {"name": "nobody"}},
        {"subject": None},
        {"content": [{"type": "text/plain", "value": ""}]},
        {"content": [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]},
        {"reply_to": "member@example.org"},
    ],
)
def test_a_malformed_request_is_refused_with_400_and_not_recorded(sendgrid, change):
    status, _, body = post(sendgrid, {**GOOD, **change})
    assert status == 400 and json.loads(body)["errors"]
    assert sendgrid.received == []


def test_bad_json_a_bad_key_and_a_wrong_path_are_refused(sendgrid):
    assert post(sendgrid, b"{not json")[0] == 400
    assert post(sendgrid, GOOD, key="SG.wrong")[0] == 401
    assert post(sendgrid, GOOD, path="/v3/mail/batch")[0] == 404
    assert sendgrid.received == []
