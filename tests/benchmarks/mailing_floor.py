"""The 100k mailing's floor (issue 23): the same messages, each stored before it is sent, through the driver and
the client alone, in the same run as the product.

One writer thread reads the members 1,000 at a time (psycopg, a server-side cursor), fills the same body by
`str.replace`, COPYs the rows into a table with a primary key only and commits, then hands them in units of
MAIL_BULK_SIZE to two sender threads (the worker's bulk lanes). Each sender posts a unit with the bare
sendgrid-python client (the same personalizations the product sends: subject, text, unsubscribe link and
headers, message id) to the same fake server, then marks its rows accepted and commits.

What it leaves out is what the product adds: consent and segment filters, signed links, the CASL footer, the
recipients' record, leases, the audit, and starting a worker process. PostgreSQL only.
"""

from __future__ import annotations

import queue
import threading
import time

from crm.backup.postgres import connect  # psycopg's connection from a SQLAlchemy URL

TABLE = "bench_mailing_floor"
STEP = 1_000  # the product's QUEUE_STEP
UNIT = 500  # MAIL_BULK_SIZE's default
LANES = 2  # the worker's bulk lanes (PERSONAL_UNITS_IN_FLIGHT)
BODY_TOKEN, UNSUBSCRIBE_TOKEN = "-crm_personal_body-", "-unsubscribe_url-"
FRAME = {
    "from": {"email": "itpo@itpo.example", "name": "ITPO"},
    "content": [{"type": "text/plain", "value": BODY_TOKEN + "\n\n-- \nUnsubscribe: " + UNSUBSCRIBE_TOKEN}],
}
FIXED = {
    "{{ representative_name }}": "Jane Doe",
    "{{ campaign_name }}": "Bench campaign",
    "{{ hashtag }}": "#skillstohelp",
}
MEMBERS = """SELECT u.id, u.email, u.name, d.name FROM users u JOIN member_profiles p ON p.user_id = u.id
LEFT JOIN electoral_districts d ON d.id = p.district_id ORDER BY u.id"""


def floor_round(database_url: str, host: str, body: str, members: int) -> float:
    """Seconds to store and send every member's message once, each marked accepted; raises if one is missing."""
    with connect(database_url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
        connection.execute(
            f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, user_id bigint, to_address text, subject text,"
            " text_body text, unsubscribe_url text, status text, provider_message_id text, sent_at timestamptz)"
        )
    try:
        seconds = _store_and_send(database_url, host, body)
        with connect(database_url) as connection:
            accepted = connection.execute(f"SELECT count(*) FROM {TABLE} WHERE status = 'accepted'").fetchone()[0]
    finally:
        with connect(database_url, autocommit=True) as connection:
            connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
    if accepted != members:
        raise RuntimeError(f"the floor marked {accepted} messages accepted, not {members}")
    return seconds


def _store_and_send(database_url: str, host: str, body: str) -> float:
    """The writer on this thread and the senders on theirs; seconds until the last sender is done."""
    units: queue.Queue = queue.Queue(maxsize=LANES + 1)  # as the product's handed slots
    failures: list[BaseException] = []
    started = time.perf_counter()
    senders = [
        threading.Thread(target=_guarded, args=(_send, failures, database_url, host, units)) for _ in range(LANES)
    ]
    for sender in senders:
        sender.start()
    _guarded(_write, failures, database_url, body, units)
    for _ in senders:
        units.put(None)
    for sender in senders:
        sender.join()
    if failures:
        raise RuntimeError(f"the floor failed: {failures[0]!r}")
    return time.perf_counter() - started


def _guarded(function, failures: list, *args) -> None:
    try:
        function(*args)
    except BaseException as error:  # reported by floor_round, after the other threads stop
        failures.append(error)


def _write(database_url: str, body: str, units: queue.Queue) -> None:
    """Read the members a step at a time, store their messages (committed), then hand them over in units."""
    with connect(database_url) as reader, connect(database_url) as writer:
        members = reader.cursor(name="members")
        members.execute(MEMBERS)
        next_id = 1
        for placeholder, value in FIXED.items():
            body = body.replace(placeholder, value)
        while rows := members.fetchmany(STEP):
            messages = [_message(next_id + index, row, body) for index, row in enumerate(rows)]
            next_id += len(rows)
            with writer.cursor().copy(
                f"COPY {TABLE} (id, user_id, to_address, subject, text_body, unsubscribe_url, status) FROM STDIN"
            ) as copy:
                for message in messages:
                    copy.write_row(message)
            writer.commit()
            for start in range(0, len(messages), UNIT):
                units.put(messages[start : start + UNIT])


def _message(message_id: int, member: tuple, body: str) -> tuple:
    user_id, email, name, riding = member
    text = body.replace("{{ member_name }}", name).replace("{{ member_riding }}", riding or "")
    text = text.replace("{{ action_link }}", f"https://itpo.example/act/{message_id:0>120}")
    subject = f"{name}, write to your MPP"
    return (
        message_id,
        user_id,
        email,
        subject,
        text,
        f"https://itpo.example/unsubscribe/{message_id:0>130}",
        "sending",
    )


def _send(database_url: str, host: str, units: queue.Queue) -> None:
    """Post each unit with sendgrid-python, then mark its rows accepted."""
    from sendgrid import SendGridAPIClient

    from tests.outbox.fake_sendgrid import API_KEY

    client = SendGridAPIClient(api_key=API_KEY, host=host)
    with connect(database_url) as connection:
        while (unit := units.get()) is not None:
            response = client.send({**FRAME, "subject": unit[0][3], "personalizations": [_personal(m) for m in unit]})
            if response.status_code != 202:
                raise RuntimeError(f"the fake server answered {response.status_code}")
            provider_id = response.headers.get("X-Message-Id")
            connection.execute(
                f"UPDATE {TABLE} SET status = 'accepted', provider_message_id = %s, sent_at = now() WHERE id = ANY(%s)",
                (provider_id, [message[0] for message in unit]),
            )
            connection.commit()


def _personal(message: tuple) -> dict:
    message_id, _, email, subject, text, unsubscribe_url, _ = message
    return {
        "to": [{"email": email}],
        "subject": subject,
        "custom_args": {"crm_message_id": str(message_id)},
        "substitutions": {BODY_TOKEN: text, UNSUBSCRIBE_TOKEN: unsubscribe_url},
        "headers": {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }
