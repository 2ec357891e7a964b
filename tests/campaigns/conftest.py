"""Campaign fixtures: a live campaign with a template, and members with a riding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from crm.extensions import db

DEFAULT_BLOCKS = [
    dict(
        kind="locked",
        body="Dear {{ representative_name }},\n\nI am {{ member_name }}, a physician living in "
        "{{ member_riding }}. I am one of {{ members_in_riding }} ITPO members in our riding.",
    ),
    dict(kind="editable", body="Please support a Practice-Ready Assessment program with more spots. {{ hashtag }}"),
    dict(kind="personal", body="Tell your MPP what you could do for patients.", label="My story", min_length=20),
    dict(kind="locked", body="Sincerely,\n{{ member_name }}"),
]


@pytest.fixture
def make_campaign(app, seeded, make_user):
    """Create a campaign with one template version; returns ids and slug (plain values)."""
    from crm.campaigns import services
    from crm.reference.models import Jurisdiction

    lead = make_user(role="lead", email="lead-fixture@example.org")
    counter = {"n": 0}

    def _make(
        status: str = "live",
        kind: str = "own_representative",
        blocks: list[dict] | None = None,
        subject: str = "A letter from {{ member_name }} {{ hashtag }}",
        targets: list[int] = (),
        **values,
    ) -> SimpleNamespace:
        counter["n"] += 1
        with app.app_context():
            ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
            campaign = services.create_campaign(
                db.session,
                actor_id=lead.id,
                name=values.pop("name", f"Skills to help {counter['n']}"),
                hashtag="#skillstohelp",
                kind=kind,
                jurisdiction_id=ontario,
                status="draft",
                **values,
            )
            for person_id in targets:
                services.add_target(db.session, campaign, person_id)
            template, _ = services.save_template(
                db.session,
                campaign,
                subject=subject,
                actor_id=lead.id,
                blocks=[services.BlockInput(**block) for block in (blocks or DEFAULT_BLOCKS)],
            )
            campaign.status = status
            db.session.commit()
            result = SimpleNamespace(id=campaign.id, slug=campaign.slug, template_id=template.id, lead=lead)
            db.session.remove()
        return result

    return _make


@pytest.fixture
def make_member(app, make_user):
    """A confirmed member with a profile in the riding numbered `riding` (None: no riding)."""
    from crm.members.models import MemberProfile
    from crm.reference.models import ElectoralDistrict

    def _make(riding: int | None = 1, postal_code: str = "L1S 1A1", **kwargs):
        user = make_user(**kwargs)
        with app.app_context():
            district_id = None
            if riding is not None:
                district_id = db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == riding))
            db.session.add(
                MemberProfile(user_id=user.id, postal_code=postal_code, province="ON", district_id=district_id)
            )
            db.session.commit()
            db.session.remove()
        return user

    return _make


def district_id(app, number: int) -> int:
    from crm.reference.models import ElectoralDistrict

    with app.app_context():
        return db.session.scalar(select(ElectoralDistrict.id).where(ElectoralDistrict.number == number))


STORY = "I trained in Cairo and practised emergency medicine for eight years before moving to Ontario."


def letter_data(**overrides) -> dict:
    """Form data for the default template: the editable block kept, a personal story, Send."""
    data = {"block-3": STORY, "send": "Send my letter"}
    data.update(overrides)
    return data


def write_url(campaign, recipient=None) -> str:
    url = f"/campaigns/{campaign.slug}/write"
    return url + (f"?recipient={recipient}" if recipient else "")


def send_letter(browser, campaign, recipient, **overrides):
    """Post the letter form for `recipient` ("district-<id>" or "person-<id>") as the logged-in member."""
    url = write_url(campaign, recipient)
    return browser.post(url, letter_data(**overrides), page=url)


TEMPLATE_PAGE = "/manage/campaigns/{}/template"


def template_form(subject: str, *blocks: tuple[str, str, int]) -> dict:
    """The lead's template form: a subject and (kind, body, minimum length) blocks."""
    data = {"subject": subject}
    for index, (kind, body, minimum) in enumerate(blocks):
        data.update(
            {
                f"blocks-{index}-kind": kind,
                f"blocks-{index}-body": body,
                f"blocks-{index}-label": "",
                f"blocks-{index}-min_length": str(minimum),
            }
        )
    return data


def new_campaign(browser, **overrides) -> int:
    """Create a draft Ontario campaign through the lead's form; returns its id."""
    import re

    data = {
        "name": "Skills to help",
        "hashtag": "skillstohelp",
        "kind": "own_representative",
        "jurisdiction_id": "",
        "mpp_address": "legislature",
        "status": "draft",
        "summary": "Write to your MPP.",
    }
    page = browser.get("/manage/campaigns/new").get_data(as_text=True)
    data["jurisdiction_id"] = re.search(r'<option selected value="(\d+)">Ontario', page).group(1)
    data.update(overrides)
    response = browser.post("/manage/campaigns/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/")[-2])
