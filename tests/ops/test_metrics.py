"""/metrics: Prometheus text that prometheus-client's own parser reads, closed without the token or an admin;
/healthz says whether a worker has been seen."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crm.ops import metrics, totals
from crm.ops.jobs import beat
from crm.ops.models import JobRun
from crm.outbox.models import DeliveryEvent
from crm.outbox.services import queue_message, utcnow

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    metrics.forget_cache()
    yield TOKEN
    metrics.forget_cache()


def _scrape(client, token=TOKEN):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.status_code
    families = {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}
    return families


def _value(families, name, sample_name=None, **labels):
    for sample in families[name].samples:
        if sample.name == (sample_name or sample.name) and all(
            sample.labels.get(key) == value for key, value in labels.items()
        ):
            return sample.value
    raise KeyError((name, labels))


def test_metrics_without_the_token_is_401_and_a_wrong_token_too(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    response = client.get("/metrics")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_without_a_configured_token_refuses_every_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401


def test_an_admin_reads_metrics_and_a_lead_does_not(browser, make_user, metrics_token):
    lead, admin = make_user(role="lead"), make_user(role="admin")
    browser.login(lead.email)
    assert browser.get("/metrics").status_code == 403
    browser.logout()
    browser.login(admin.email)
    response = browser.get("/metrics")
    assert response.status_code == 200 and "crm_outbox_messages" in response.get_data(as_text=True)


def test_a_scrape_parses_with_prometheus_client_and_counts_what_the_database_holds(app, session, client, metrics_token):
    now = utcnow()
    for i in range(3):
        queue_message(session, kind="letter", to=f"mpp{i}@example.org", subject="s", text="t")
    sent = queue_message(session, kind="letter", to="mpp9@example.org", subject="s", text="t")
    sent.status, sent.created_at, sent.sent_at = "accepted", now - timedelta(seconds=8), now - timedelta(seconds=5)
    session.add(DeliveryEvent(provider_event_id="e1", event="delivered", received_at=now - timedelta(minutes=2)))
    session.add(
        JobRun(job="reply-surveys", due_at=now, worker="w", started_at=now, outcome="failed", error="RuntimeError: x")
    )
    session.commit()
    beat(session, force=True)
    client.get("/login")  # a request to time
    families = _scrape(client)
    assert _value(families, "crm_outbox_messages", status="queued") == 3
    assert _value(families, "crm_outbox_messages", status="accepted") == 1
    assert _value(families, "crm_outbox_sent_last_minute") == 1
    assert _value(families, "crm_outbox_send_latency_seconds", quantile="0.5") == 3
    assert _value(families, "crm_outbox_oldest_queued_seconds") >= 0
    assert _value(families, "crm_webhook_events_last_hour", event="delivered") == 1
    assert 100 <= _value(families, "crm_webhook_last_event_seconds") <= 200
    assert _value(families, "crm_job_runs", job="reply-surveys", outcome="failed") == 1
    assert _value(families, "crm_job_failing", job="reply-surveys") == 1
    assert _value(families, "crm_job_failing", job="letter-retention") == 0
    assert 0 <= _value(families, "crm_worker_last_seen_seconds") < 60
    assert (
        _value(
            families,
            "crm_http_request_duration_seconds",
            "crm_http_request_duration_seconds_count",
            endpoint="auth.login",
            method="GET",
        )
        >= 1
    )
    assert "crm_letters" in families


def test_letters_are_counted_by_campaign(app, session, client, metrics_token, make_campaign, make_user):
    from crm.campaigns.models import Letter
    from crm.stakeholders.models import Person

    campaign = make_campaign()
    member = make_user()
    person = session.scalars(Person.__table__.select().limit(1)).first()  # the seeded roster's first MPP
    letter = dict(campaign_id=campaign.id, template_id=campaign.template_id, person_id=person, to_address="m@x.org")
    session.add(Letter(user_id=member.id, subject="s", body="b", **letter))
    session.commit()
    assert _value(_scrape(client), "crm_letters", campaign=campaign.slug) == 1


def test_healthz_says_when_no_worker_has_been_seen_for_five_minutes(app, session, client):
    answer = client.get("/healthz").json
    assert (
        answer["status"] == "no_worker"
        and answer["worker"]["ok"] is False
        and answer["worker"]["message"].startswith("No worker has been seen yet: start `flask crm worker`")
    )
    beat(session, utcnow() - timedelta(minutes=6), force=True)
    answer = client.get("/healthz").json
    assert answer["worker"]["ok"] is False and answer["worker"]["message"].startswith("No worker seen for 6 minutes")
    beat(session, force=True)
    answer = client.get("/healthz").json
    assert answer["status"] == "ok" and answer["worker"]["ok"] is True and answer["database"]["ok"] is True
    assert datetime.fromisoformat(answer["worker"]["last_seen"].rstrip("Z")) <= utcnow()


def test_sends_in_the_last_minute_are_all_counted_beyond_the_latency_sample(
    app, session, client, metrics_token, monkeypatch
):
    monkeypatch.setattr(metrics, "LATENCY_SAMPLE", 3)
    now = utcnow()
    for i in range(5):
        sent = queue_message(session, kind="letter", to=f"mpp{i}@example.org", subject="s", text="t")
        sent.status, sent.created_at, sent.sent_at = "accepted", now - timedelta(seconds=9), now - timedelta(seconds=i)
    old = queue_message(session, kind="letter", to="old@example.org", subject="s", text="t")
    old.status, old.created_at, old.sent_at = "accepted", now - timedelta(minutes=4), now - timedelta(minutes=3)
    session.commit()
    families = _scrape(client)
    assert _value(families, "crm_outbox_sent_last_minute") == 5
    assert _value(families, "crm_outbox_send_latency_seconds", quantile="1") == 9  # the newest three: 9, 8 and 7 s
    assert _value(families, "crm_addresses_failing") == 0


def _accepted(session, n: int) -> None:
    for i in range(n):
        message = queue_message(session, kind="letter", to=f"mpp{i}@example.org", subject="s", text="t")
        message.status = "accepted"
    session.commit()


def test_a_scrape_reads_the_whole_table_totals_the_worker_counted(app, session, client, metrics_token, monkeypatch):
    from crm.outbox.worker import run_pass_jobs

    _accepted(session, 2)
    monkeypatch.setitem(totals._last_recount, "at", float("-inf"))
    run_pass_jobs(session)  # what every worker pass runs
    _accepted(session, 1)  # after the count: the scrape does not scan the table for it
    families = _scrape(client)
    assert _value(families, "crm_outbox_messages", status="accepted") == 2
    assert 0 <= _value(families, "crm_metrics_totals_age_seconds") < 60
    run_pass_jobs(session)  # the next pass, within the minute: no recount
    assert _value(_scrape(client), "crm_outbox_messages", status="accepted") == 2


def test_without_a_worker_for_three_minutes_a_scrape_counts_the_totals_itself(app, session, client, metrics_token):
    _accepted(session, 2)
    totals.refresh_totals(session, utcnow() - timedelta(minutes=4))  # the last worker count, long ago
    session.commit()
    _accepted(session, 1)
    families = _scrape(client)
    assert _value(families, "crm_outbox_messages", status="accepted") == 3
    assert _value(families, "crm_metrics_totals_age_seconds") == -1
