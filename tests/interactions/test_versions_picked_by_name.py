"""Names, not ids: a meeting and a campaign pick the proposal version they cite by its proposal's name and its
number, and show it so, with a link; a hand-made value gets a field error, never a 500."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from crm.extensions import db
from tests.interactions.conftest import meeting_form


def _ontario_versions(app, make_user) -> SimpleNamespace:
    """Proposal to Ontario with versions 1 and 2 published and 3 a draft; their ids."""
    from crm.proposals import services
    from crm.reference.models import Jurisdiction

    author = make_user("committee", email="author@example.org")
    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
        proposal = services.create_proposal(db.session, jurisdiction_id=ontario.id, title=None, author_id=author.id)
        ids = []
        version = proposal.versions[0]
        for number in (1, 2, 3):
            if number > 1:
                version = services.start_next_version(db.session, proposal.id, author_id=author.id)
            services.update_draft(db.session, version, body=f"Text {number}", change_summary=f"v{number}")
            if number < 3:
                services.publish_version(db.session, version)
            ids.append(version.id)
        db.session.commit()
        result = SimpleNamespace(title=proposal.title, v1=ids[0], v2=ids[1], draft=ids[2])
        db.session.remove()
    return result


def _option(html: str, field: str, label: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(rf'<option[^>]*value="(\d+)"[^>]*>{re.escape(label)}', select_html).group(1)


def test_a_meeting_picks_its_version_by_name_and_shows_it_with_a_link(app, browser, committee, stakeholders, make_user):
    versions = _ontario_versions(app, make_user)
    form = browser.get("/interactions/new").get_data(as_text=True)
    assert f'<optgroup label="{versions.title}">' in form and "Version 3" not in form  # no drafts
    picked = _option(form, "proposal_version_id", "Version 2, published ")
    assert picked == str(versions.v2)
    data = meeting_form(**{"participants-0-who": f"person:{stakeholders.registrar}", "proposal_version_id": picked})
    response = browser.post("/interactions/new", data, page="/interactions/new")
    assert response.status_code == 302
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    link = f'<a href="/committee/proposals/versions/{versions.v2}">{versions.title}, version 2</a>'
    assert f"Proposal version presented: {link}" in html and "#" + str(versions.v2) not in html


def test_a_campaign_cites_a_version_picked_by_name(app, browser, make_user, make_campaign):
    from crm.campaigns.models import Campaign

    versions = _ontario_versions(app, make_user)
    campaign = make_campaign(status="draft")
    lead = make_user("lead", email="lead@example.org")
    browser.login(lead.email)
    edit = f"/manage/campaigns/{campaign.id}/edit"
    page = browser.get(edit).get_data(as_text=True)
    assert "(id, optional)" not in page and 'type="number" name="proposal_version_id"' not in page
    picked = _option(page, "proposal_version_id", "Version 1, published ")
    form = {
        "name": "Skills to help",
        "slug": campaign.slug,
        "hashtag": "#skillstohelp",
        "kind": "own_representative",
        "jurisdiction_id": re.search(r'<option selected value="(\d+)">Ontario', page).group(1),
        "mpp_address": "legislature",
        "letter_delivery": "one_by_one",
        "status": "draft",
        "proposal_version_id": picked,
    }
    assert browser.post(edit, form).status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).proposal_version_id == versions.v1
        db.session.remove()
    page = browser.get(edit).get_data(as_text=True)
    assert re.search(rf'<option selected value="{versions.v1}">Version 1, published ', page)
    for hand_made in (str(versions.draft), "999999", "-1", "99999999999999999999", "abc"):
        response = browser.post(edit, {**form, "proposal_version_id": hand_made})
        if hand_made == "abc":  # not a number at all: read as none chosen
            assert response.status_code == 302, hand_made
            continue
        assert response.status_code == 200, hand_made
        assert "Choose a published version" in response.get_data(as_text=True), hand_made


def test_a_failing_letter_template_is_named_by_its_version_not_its_id(app, browser, make_user, make_campaign):
    from crm.campaigns.models import LetterTemplate, TemplateFailure

    campaign = make_campaign(status="draft")
    with app.app_context():
        template = db.session.scalar(select(LetterTemplate).where(LetterTemplate.campaign_id == campaign.id))
        db.session.add(
            TemplateFailure(
                campaign_id=campaign.id, template_id=template.id, position=1, message="Boom", sample_values="{}"
            )
        )
        db.session.commit()
        version = template.version
        db.session.remove()
    lead = make_user("lead", email="lead@example.org")
    browser.login(lead.email)
    html = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"<tr><td>Version {version}</td><td>block 1</td><td>Boom</td>" in html
