"""A fake SendGrid for tests and benchmarks: a real HTTP server speaking POST /v3/mail/send.

It records what it received, can add latency and answer 429 or 5xx on demand (scripted, or at a
random rate), and signs Event Webhook batches with an ECDSA key pair made here.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

API_KEY = "SG.test-key"


def _errors(status: int, *messages: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    body = json.dumps({"errors": [{"message": message} for message in messages]}).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, body


def _is_address(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("email"), str) and "@" in value["email"]


def _is_string_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def shape_errors(body) -> list[str]:
    """What SendGrid's v3 /mail/send would refuse in this request body (the checks that matter here)."""
    if not isinstance(body, dict):
        return ["The request body must be a JSON object."]
    problems = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not 1 <= len(personalizations) <= 1000:
        problems.append("The personalizations field is required and must have between 1 and 1000 items.")
        personalizations = []
    for p in personalizations:
        if (
            not isinstance(p, dict)
            or not isinstance(p.get("to"), list)
            or not p["to"]
            or not all(_is_address(to) for to in p["to"])
        ):
            problems.append("Each personalization needs a 'to' list of objects with an email address.")
        elif not all(_is_string_map(p.get(key, {})) for key in ("custom_args", "substitutions", "headers")):
            problems.append("custom_args, substitutions and headers must map strings to strings.")
        elif not body.get("subject") and not p.get("subject"):
            problems.append("The subject is required, at the top level or in every personalization.")
        elif "subject" in p and not isinstance(p["subject"], str):
            problems.append("A personalization's subject must be a string.")
        elif sum(len(k.encode()) + len(v.encode()) for k, v in p.get("substitutions", {}).items()) > 10_000:
            problems.append("The total size of a personalization's substitutions may not exceed 10,000 bytes.")
        else:
            continue
        break
    if not _is_address(body.get("from")):
        problems.append("The from object must be provided for every email send, with an email address.")
    if "reply_to" in body and not _is_address(body["reply_to"]):
        problems.append("The reply_to email does not contain a valid address.")
    content = body.get("content")
    if (
        not isinstance(content, list)
        or not content
        or not all(
            isinstance(c, dict) and isinstance(c.get("type"), str) and isinstance(c.get("value"), str) and c["value"]
            for c in content
        )
    ):
        problems.append("The content value must be a list of at least one {type, value} with a non-empty value.")
    elif content[0]["type"] != "text/plain" and any(c["type"] == "text/plain" for c in content):
        problems.append("If present, text/plain content must be first, followed by any other content.")
    if not _is_string_map(body.get("headers", {})):
        problems.append("Headers must map strings to strings.")
    return problems


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as SendGrid's API speaks it; the answer is FakeSendGrid's."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.server.fake.lock:
            self.server.fake.connections += 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        status, headers, body = self.server.fake.answer(self.command, self.path, self.headers, data)
        head = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.wfile.write("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body)

    do_POST = do_GET = do_PUT = do_DELETE = _answer

    def log_message(self, format, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a benchmark opens dozens of connections at once

    def handle_error(self, request, client_address) -> None:
        """A client that timed out and hung up is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeSendGrid:
    """Start with `FakeSendGrid().start()`; `host` goes into SENDGRID_HOST."""

    def __init__(self, seed: int = 7):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.received: list[dict] = []
        self.connections = 0  # TCP connections opened by clients, ever
        self.script: deque[tuple[int, dict]] = deque()
        self.failure_rate = 0.0
        self.latency = 0.0
        self.rate_limit_seconds = 1
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.generation = 0  # bumped by reset(): a slow request from an earlier test is not recorded

    def start(self) -> FakeSendGrid:
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="fake-sendgrid", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.received.clear()
            self.script.clear()
        self.failure_rate, self.latency = 0.0, 0.0

    def answer_next(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        """Script the next answers (e.g. 429 with X-RateLimit-Reset, or 503)."""
        with self.lock:
            self.script.extend([(status, headers or {})] * times)

    def _failure(self) -> tuple[int, dict] | None:
        with self.lock:
            if self.script:
                return self.script.popleft()
            if self.failure_rate and self.rng.random() < self.failure_rate:
                if self.rng.random() < 0.5:
                    return 429, {"X-RateLimit-Reset": str(int(time.time()) + self.rate_limit_seconds)}
                return self.rng.choice([500, 502, 503]), {}
        return None

    def answer(self, method: str, path: str, headers, data: bytes) -> tuple[int, dict, bytes]:
        """Status, headers and body for one request, as SendGrid's v3 API would answer it."""
        generation = self.generation
        if self.latency:
            time.sleep(self.latency)
        if path != "/v3/mail/send":
            return _errors(404, "not found")
        if method != "POST":
            return _errors(405, "method not allowed")
        if headers.get("Authorization") != f"Bearer {API_KEY}":
            return _errors(401, "The provided authorization grant is invalid, expired, or revoked")
        try:
            body = orjson.loads(data)  # (json took a third of this server's CPU in the 100k mailing)
        except ValueError:
            return _errors(400, "Bad Request")
        failure = self._failure()
        if failure:
            status, extra = failure
            return _errors(status, f"fake {status}", headers=extra)
        problems = shape_errors(body)
        if problems:
            return _errors(400, *problems)
        message_id = uuid.uuid4().hex[:22]
        with self.lock:
            if generation == self.generation:
                self.received.append(body)
        return 202, {"X-Message-Id": message_id}, b""

    # what arrived
    def message_ids(self) -> Counter:
        """How often each outbox message id (custom arg) reached the provider."""
        with self.lock:
            return Counter(
                int(p["custom_args"]["crm_message_id"]) for body in self.received for p in body["personalizations"]
            )

    def personal_messages(self) -> dict[str, dict]:
        """What each recipient would read, by address: subject, text (substitutions applied) and headers."""
        with self.lock:
            bodies = list(self.received)
        result = {}
        for body in bodies:
            text = body["content"][0]["value"]
            for p in body["personalizations"]:
                mine = text
                for token, value in p.get("substitutions", {}).items():
                    mine = mine.replace(token, value)
                result[p["to"][0]["email"]] = {
                    "subject": p.get("subject", body["subject"]),
                    "text": mine,
                    "headers": {**body.get("headers", {}), **p.get("headers", {})},
                }
        return result

    # the Event Webhook
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def signed(self, events: list | bytes, timestamp: int | None = None) -> tuple[bytes, dict]:
        """The body and headers SendGrid would POST for `events`."""
        body = events if isinstance(events, bytes) else json.dumps(events).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "Content-Type": "application/json",
        }


def event(kind: str, message_id: int, email: str = "mpp@example.org", provider_id: str = "abc", **extra) -> dict:
    """One webhook event as SendGrid sends it, with our opaque custom arg."""
    return {
        "event": kind,
        "sg_event_id": extra.pop("sg_event_id", uuid.uuid4().hex),
        "email": email,
        "sg_message_id": f"{provider_id}.filter0001.1.0",
        "timestamp": int(time.time()),
        "crm_message_id": str(message_id),
        **extra,
    }
