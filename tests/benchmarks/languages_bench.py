"""Issue 25's benchmark: a page in French costs no more than 10% over English at p95.

The same pages (the front page, a campaign page, the join form, the programs page, and a member's home and letter
page) are requested in English and in French, interleaved so both meet the same machine load, REQUESTS times
each, in process (the Flask test client on SQLite): the figures are the app's own rendering, gettext included.

Run alone: `.venv/bin/python -m tests.benchmarks.languages_bench`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

SUPPORTS_POSTGRES = False
REQUESTS = int(os.environ.get("LANGUAGES_BENCH_REQUESTS", "200"))
TARGET_OVERHEAD = 0.10


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
        user = create_user(db.session, email="bench@example.org", password="a long bench password", role="member")
        user.name = "Bench Member"
        from datetime import datetime

        user.email_confirmed_at = datetime.utcnow()
        district = db.session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.number == 1))
        db.session.add(MemberProfile(user_id=user.id, postal_code="L1S 1A1", province="ON", district_id=district.id))
        db.session.commit()
        slug, district_id = campaign.slug, district.id
        db.session.remove()
    visitor = ["/", f"/campaigns/{slug}", "/join", "/programs/"]
    member = ["/home", f"/campaigns/{slug}/write?recipient=district-{district_id}"]
    return app, visitor, member


def _client(app, language: str, member: bool):
    client = app.test_client()
    client.set_cookie("lang", language)
    if member:
        response = client.post("/login", data={"email": "bench@example.org", "password": "a long bench password"})
        assert response.status_code == 302, response.status_code
    return client


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app, visitor, member = _setup(Path(tmp))
        clients = {
            (language, is_member): _client(app, language, is_member)
            for language in ("en", "fr")
            for is_member in (False, True)
        }
        timings: dict[str, list[float]] = {"en": [], "fr": []}
        pages = [(path, False) for path in visitor] + [(path, True) for path in member]
        for path, is_member in pages:  # warm up: templates compiled, catalogues loaded
            for language in ("en", "fr"):
                assert clients[(language, is_member)].get(path).status_code == 200, (language, path)
        for round_number in range(REQUESTS):
            order = ("en", "fr") if round_number % 2 == 0 else ("fr", "en")
            for path, is_member in pages:
                for language in order:
                    started = time.perf_counter()
                    response = clients[(language, is_member)].get(path)
                    timings[language].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
        english, french = _percentile(timings["en"], 0.95), _percentile(timings["fr"], 0.95)
        overhead = french / english - 1
        return {
            "languages_p95_ms": {"en": round(english, 2), "fr": round(french, 2)},
            "languages_median_ms": {
                "en": round(_percentile(timings["en"], 0.5), 2),
                "fr": round(_percentile(timings["fr"], 0.5), 2),
            },
            "languages_fr_overhead_p95": round(overhead, 3),
            "languages_requests_each": len(timings["en"]),
            "languages_target_met": overhead <= TARGET_OVERHEAD,
        }


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2)
    print()
