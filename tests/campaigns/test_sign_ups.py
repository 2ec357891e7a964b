"""Members who joined through a campaign: recorded at sign-up from the campaign's links, never from a bad one."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from crm.extensions import db

PASSWORD = "a long enough passphrase 42"


def _join(browser, query: str, email: str, **extra):
    """Post the join form as the page at /join?<query> renders it (with its hidden fields)."""
    page = f"/join?{query}" if query else "/join"
    html = browser.get(page).get_data(as_text=True)
    hidden = dict(re.findall(r'<input id="campaign" name="(campaign)" type="hidden" value="([^"]*)"', html))
    data = {
        "full_name": "Dr. Nadia Haddad",
        "email": email,
        "password": PASSWORD,
        "postal_code": "L1S 2B3",
        "province": "ON",
        **{k: unescape(v) for k, v in hidden.items()},
        **extra,
    }
    response = browser.post(page, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def _joined_via(app, email: str) -> int | None:
    from crm.auth.models import User
    from crm.members.models import MemberProfile

    with app.app_context():
        value = db.session.scalar(
            select(MemberProfile.joined_via_campaign_id)
            .join(User, User.id == MemberProfile.user_id)
            .where(User.email == email)
        )
        db.session.remove()
    return value


def test_joining_from_the_campaign_page_records_the_campaign(app, client, browser, make_campaign):
    campaign = make_campaign()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    join_link = unescape(re.search(r'href="(/join\?[^"]+)"', page).group(1))
    assert f"campaign={campaign.slug}" in join_link
    form = browser.get(join_link).get_data(as_text=True)
    assert f'name="campaign" type="hidden" value="{campaign.slug}"' in form
    _join(browser, join_link.split("?", 1)[1], "nadia@example.org")
    assert _joined_via(app, "nadia@example.org") == campaign.id


def test_joining_from_the_login_page_on_the_way_to_a_letter_records_the_campaign(app, browser, make_campaign):
    """The long way round: the letter link, then the login page, then 'Join': the page they were going to counts."""
    campaign = make_campaign()
    _join(browser, f"next=/campaigns/{campaign.slug}/write", "long-way@example.org")
    assert _joined_via(app, "long-way@example.org") == campaign.id


@pytest.mark.parametrize(
    "value", ["no-such-campaign", "", "x" * 500, "<script>alert(1)</script>", "' OR 1=1 --", "démo", "../../etc/passwd"]
)
def test_an_unknown_or_malformed_campaign_is_ignored_and_joining_still_works(app, browser, value):
    _join(browser, "", "anyone@example.org", campaign=value)
    assert _joined_via(app, "anyone@example.org") is None


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_draft_or_closed_campaign_is_not_credited(app, browser, make_campaign, status):
    campaign = make_campaign(status=status)
    _join(browser, f"campaign={campaign.slug}&next=/campaigns/{campaign.slug}/write", "late@example.org")
    assert _joined_via(app, "late@example.org") is None


def test_joining_without_a_campaign_records_none(app, browser):
    _join(browser, "next=/home", "plain@example.org")
    assert _joined_via(app, "plain@example.org") is None


def test_the_member_data_export_names_the_campaign_they_joined_through(app, browser, make_campaign):
    campaign = make_campaign(name="Residency now")
    _join(browser, f"campaign={campaign.slug}", "export@example.org")
    from crm.auth.models import User
    from crm.members.privacy import member_data

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "export@example.org"))
        assert member_data(db.session, user)["joined_through_campaign"] == [{"campaign": "Residency now"}]
        db.session.remove()
