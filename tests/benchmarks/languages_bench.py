"""Issue 25's benchmark: a page in French costs no more than 10% over English at p95.

The same pages (the front page, a campaign page, the join form, the programs page, and a member's home and letter
page) are requested in English and in French, interleaved so both meet the same machine load, REQUESTS times
each, in process (the Flask test client on SQLite): the figures are the app's own rendering, gettext included.
A lead's pages are measured the same way and reported apart (`languages_staff_*`): the directory's list of people
(124 MPPs, each title and riding named in French), an MPP's page, the campaigns list and a campaign's page, the
committee dashboard and the asks scoreboard.

Run alone: `.venv/bin/python -m tests.benchmarks.languages_bench`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

SUPPORTS_POSTGRES = False
REQUESTS = int(os.environ.get("LANGUAGES_BENCH_REQUESTS", "200"))
TARGET_OVERHEAD = 0.10
STAFF_PASSWORD = "a long bench lead password"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _setup(instance: Path):
    from flask_migrate import upgrade
    from sqlalchemy import select

    from crm import create_app
    from crm.auth.services import create_user
    from crm.campaigns import services
    from crm.cli import seed_reference_data
    from crm.extensions import db
    from crm.lib.i18n import compile_catalogues
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict, Jurisdiction

    compile_catalogues()
    app = create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.sqlite3'}",
            "INSTANCE_PATH": instance,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
        campaign = services.create_campaign(
            db.session, actor_id=None, name="Skills to help", kind="own_representative", jurisdiction_id=ontario
        )
        services.save_template(
            db.session,
            campaign,
            subject="A letter from {{ member_name }}",
            actor_id=None,
            blocks=[
                services.BlockInput("locked", "Dear {{ representative_name }},"),
                services.BlockInput("personal", "Your story", label="Your story", min_length=20),
            ],
        )
        campaign.status = "live"
        lead = create_user(db.session, email="lead@example.org", password=STAFF_PASSWORD, role="lead")
        lead.email_confirmed_at = datetime.utcnow()
        user = create_user(db.session, email="bench@example.org", password="a long bench password", role="member")
        user.name = "Bench Member"
        user.email_confirmed_at = datetime.utcnow()
        district = db.session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.number == 1))
        db.session.add(MemberProfile(user_id=user.id, postal_code="L1S 1A1", province="ON", district_id=district.id))
        db.session.commit()
        slug, district_id, campaign_id = campaign.slug, district.id, campaign.id
        db.session.remove()
    visitor = ["/", f"/campaigns/{slug}", "/join", "/programs/"]
    member = ["/home", f"/campaigns/{slug}/write?recipient=district-{district_id}"]
    return app, visitor, member, _staff_pages(app, campaign_id)


def _staff_pages(app, campaign_id: int) -> list[str]:
    """A lead's pages: the people list, an MPP's page, the campaigns, the committee dashboard, the scoreboard."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.stakeholders.models import Person

    with app.app_context():
        mpp = db.session.scalar(select(Person.id).where(Person.title == "MPP, Ottawa South"))
        db.session.remove()
    people = "/directory/people"
    pages = [people, f"/directory/people/{mpp}", "/manage/campaigns", f"/manage/campaigns/{campaign_id}"]
    return pages + ["/dashboards/committee", "/asks"]


def _client(app, language: str, who: str):
    if who == "staff":
        from tests.benchmarks.staff_login import login_staff

        client = login_staff(app, "lead@example.org", STAFF_PASSWORD)
    else:
        client = app.test_client()
    client.set_cookie("lang", language)
    if who == "member":
        response = client.post("/login", data={"email": "bench@example.org", "password": "a long bench password"})
        assert response.status_code == 302, response.status_code
    return client


def _measure(clients: dict, pages: list[tuple[str, str]]) -> dict:
    """Milliseconds per request by language (and by language and page), English and French alternating first from
    one round to the next."""
    for path, who in pages:  # warm up: templates compiled, catalogues loaded
        for language in ("en", "fr"):
            assert clients[(language, who)].get(path).status_code == 200, (language, path)
    timings: dict = {"en": [], "fr": []} | {(language, path): [] for path, _ in pages for language in ("en", "fr")}
    for round_number in range(REQUESTS):
        order = ("en", "fr") if round_number % 2 == 0 else ("fr", "en")
        for path, who in pages:
            for language in order:
                started = time.perf_counter()
                response = clients[(language, who)].get(path)
                elapsed = (time.perf_counter() - started) * 1000
                timings[language].append(elapsed)
                timings[(language, path)].append(elapsed)
                assert response.status_code == 200
    return timings


def _figures(prefix: str, timings: dict[str, list[float]]) -> dict:
    english, french = _percentile(timings["en"], 0.95), _percentile(timings["fr"], 0.95)
    overhead = french / english - 1
    return {
        f"{prefix}_p95_ms": {"en": round(english, 2), "fr": round(french, 2)},
        f"{prefix}_median_ms": {
            "en": round(_percentile(timings["en"], 0.5), 2),
            "fr": round(_percentile(timings["fr"], 0.5), 2),
        },
        f"{prefix}_fr_overhead_p95": round(overhead, 3),
        f"{prefix}_requests_each": len(timings["en"]),
        f"{prefix}_target_met": overhead <= TARGET_OVERHEAD,
        f"{prefix}_fr_overhead_p95_by_page": {
            key[1]: round(_percentile(timings[("fr", key[1])], 0.95) / _percentile(values, 0.95) - 1, 3)
            for key, values in timings.items()
            if isinstance(key, tuple) and key[0] == "en"
        },
    }


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app, visitor, member, staff = _setup(Path(tmp))
        clients = {
            (language, who): _client(app, language, who)
            for language in ("en", "fr")
            for who in ("visitor", "member", "staff")
        }
        members = _measure(clients, [(path, "visitor") for path in visitor] + [(path, "member") for path in member])
        leads = _measure(clients, [(path, "staff") for path in staff])
        figures = _figures("languages", members) | _figures("languages_staff", leads)
        met = figures["languages_target_met"] and figures["languages_staff_target_met"]
        return figures | {
            "load_average": round(os.getloadavg()[0], 2),
            "target": "French <= 10% over English at p95",
            "target_met": met,
        }


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2)
    print()
