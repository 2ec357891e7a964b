"""A fake SendGrid for tests and benchmarks: a real HTTP server speaking POST /v3/mail/send.

It records what it received, can add latency and answer 429 or 5xx on demand (scripted, or at a
random rate), and signs Event Webhook batches with an ECDSA key pair made here.
"""
from __future__ import annotations

import base64
import json
import logging
import random
import threading
import time
import uuid
from collections import Counter, deque

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "SG.test-key"
logging.getLogger("werkzeug").setLevel(logging.WARNING)


class FakeSendGrid:
    """Start with `FakeSendGrid().start()`; `host` goes into SENDGRID_HOST."""

    def __init__(self, seed: int = 7):
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.received: list[dict] = []
        self.script: deque[tuple[int, dict]] = deque()
        self.failure_rate = 0.0
        self.latency = 0.0
        self.rate_limit_seconds = 1
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.generation = 0  # bumped by reset(): a slow request from an earlier test is not recorded

    def start(self) -> "FakeSendGrid":
        self.server.start()
        self.server.expect_request("/v3/mail/send", method="POST").respond_with_handler(self._handle)
        return self

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def host(self) -> str:
        return self.server.url_for("").rstrip("/")

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

    def _handle(self, request: Request) -> Response:
        generation = self.generation
        if self.latency:
            time.sleep(self.latency)
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return Response(json.dumps({"errors": [{"message": "unauthorized"}]}), status=401)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return Response(json.dumps({"errors": [{"message": "bad JSON"}]}), status=400)
        failure = self._failure()
        if failure:
            status, headers = failure
            return Response(json.dumps({"errors": [{"message": f"fake {status}"}]}), status=status, headers=headers,
                            content_type="application/json")
        if not body.get("personalizations") or not body.get("from") or not body.get("content"):
            return Response(json.dumps({"errors": [{"message": "missing fields"}]}), status=400)
        message_id = uuid.uuid4().hex[:22]
        with self.lock:
            if generation == self.generation:
                self.received.append(body)
        return Response("", status=202, headers={"X-Message-Id": message_id})

    # what arrived
    def message_ids(self) -> Counter:
        """How often each outbox message id (custom arg) reached the provider."""
        with self.lock:
            return Counter(int(p["custom_args"]["crm_message_id"]) for body in self.received
                           for p in body["personalizations"])

    # the Event Webhook
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def signed(self, events: list | bytes, timestamp: int | None = None) -> tuple[bytes, dict]:
        """The body and headers SendGrid would POST for `events`."""
        body = events if isinstance(events, bytes) else json.dumps(events).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                      "X-Twilio-Email-Event-Webhook-Timestamp": stamp, "Content-Type": "application/json"}


def event(kind: str, message_id: int, email: str = "mpp@example.org", provider_id: str = "abc", **extra) -> dict:
    """One webhook event as SendGrid sends it, with our opaque custom arg."""
    return {"event": kind, "sg_event_id": extra.pop("sg_event_id", uuid.uuid4().hex), "email": email,
            "sg_message_id": f"{provider_id}.filter0001.1.0", "timestamp": int(time.time()),
            "crm_message_id": str(message_id), **extra}
