"""Members across Canada write to their own representative in any legislature, found through Represent (a local
fake built from its documented answers) and kept in the directory."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.campaigns.models import Letter, LetterObstacle
from crm.outbox.models import OutboundMessage
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ElectedOffice, Person
from tests.campaigns.conftest import STORY, letter_data

HALIFAX = "B3H 4R2"


def _choose(browser, campaign, code=HALIFAX) -> str:
    return browser.get(f"/campaigns/{campaign.slug}/write?postal_code={code}").get_data(as_text=True)


def _district(session, name: str) -> ElectoralDistrict:
    return session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.name == name))


def campaign_name(session, campaign) -> str:
    from crm.campaigns.models import Campaign

    return session.get(Campaign, campaign.id).name


def _write(browser, campaign, district_id: int):
    url = f"/campaigns/{campaign.slug}/write?recipient=district-{district_id}"
    return browser.post(url, letter_data(), page=url)


def test_a_halifax_member_writes_to_their_mla_and_the_letter_reaches_the_mla(
    app, browser, session, represent, make_legislature_campaign, make_resident, mailbox
):
    campaign = make_legislature_campaign("NS")
    member = make_resident(HALIFAX, name="Dr. Leila Haddad")
    browser.login(member.email)
    html = _choose(browser, campaign)
    assert "Morgan Ellis" in html and "MLA · Halifax Citadel-Sable Island" in html
    assert "Sam Okafor" not in html and "Pat Lee" not in html  # the MP and the councillor sit elsewhere
    district = _district(session, "Halifax Citadel-Sable Island")
    page = browser.get(f"/campaigns/{campaign.slug}/write?recipient=district-{district.id}").get_data(as_text=True)
    assert "Dear MLA Morgan Ellis," in page and "MLA, Halifax Citadel-Sable Island" in page
    response = _write(browser, campaign, district.id)
    assert response.status_code == 302, response.get_data(as_text=True)
    letter = session.scalar(select(Letter))
    message = session.get(OutboundMessage, letter.message_id)
    assert message.to_address == letter.to_address == "m.ellis@mla.example.org"
    assert letter.party == "Nova Scotia Liberal Party" and "riding of Halifax Citadel-Sable Island" in letter.signature
    from crm.campaigns.models import Campaign
    from crm.campaigns.sharing import share_text

    assert share_text(session.get(Campaign, campaign.id)).startswith("I wrote to my MLA in ITPO's campaign")
    delivered = [m for m in mailbox.deliver() if m["To"] == "m.ellis@mla.example.org"]
    assert len(delivered) == 1 and STORY in delivered[0].get_body(preferencelist=("plain",)).get_content()


def test_a_member_writes_to_their_mp_in_a_federal_campaign(
    app, browser, session, represent, make_legislature_campaign, make_resident, mailbox
):
    campaign = make_legislature_campaign("CA", name="More residency positions: write to your MP")
    member = make_resident(HALIFAX)
    browser.login(member.email)
    html = _choose(browser, campaign)
    assert "Sam Okafor" in html and "MP · Halifax" in html and "Morgan Ellis" not in html
    district = session.scalar(
        select(ElectoralDistrict)
        .join(Jurisdiction)
        .where(Jurisdiction.code == "CA", ElectoralDistrict.name == "Halifax")
    )
    assert _write(browser, campaign, district.id).status_code == 302
    letter = session.scalar(select(Letter))
    assert letter.to_address == "sam.okafor@mp.example.org"
    assert any(sent["To"] == "sam.okafor@mp.example.org" for sent in mailbox.deliver())


def test_a_representative_from_represent_is_kept_in_the_directory_with_source_and_time(
    app, browser, session, represent, make_legislature_campaign, make_resident, make_user
):
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident(HALIFAX).email)
    _choose(browser, campaign)
    assert _write(browser, campaign, _district(session, "Halifax Citadel-Sable Island").id).status_code == 302
    office = session.scalar(select(ElectedOffice).join(Person).where(Person.full_name == "Morgan Ellis"))
    assert office.current and office.jurisdiction.code == "NS" and office.party == "Nova Scotia Liberal Party"
    assert office.source == "represent" and office.fetched_at is not None
    assert office.photo_url == "https://legislature.example.org/photos/ellis.jpg"
    assert office.source_url == "https://legislature.example.org/members/"
    assert office.profile_url == "https://legislature.example.org/members/ellis"
    assert office.phone == "1 902 555-0142" and "Province House" in office.offices_json
    assert office.person.title == "MLA, Halifax Citadel-Sable Island"
    assert office.person.organization.name == "Nova Scotia House of Assembly"
    browser.logout()
    browser.login(make_user(role="committee").email)
    page = browser.get(f"/directory/people/{office.person.id}").get_data(as_text=True)
    assert "MLA for Halifax Citadel-Sable Island" in page and "From Represent" in page
    assert f"Letter from a member, campaign {campaign_name(session, campaign)}" in page  # on their timeline
    stance = f"/directory/people/{office.person.id}/stances"
    data = {"ask": "pra", "position": "supportive", "as_of": "2026-12-01", "source": "Reply to a letter"}
    assert browser.post(stance, data, page=f"/directory/people/{office.person.id}").status_code == 302
    assert office.person.stances[0].position == "supportive"


def test_a_postal_code_is_asked_of_represent_once(
    app, browser, session, represent, make_legislature_campaign, make_resident
):
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident(HALIFAX).email)
    _choose(browser, campaign)
    assert "Morgan Ellis" in _choose(browser, campaign)
    assert represent.requests == ["/postcodes/B3H4R2/"]
    assert session.scalar(select(func.count()).select_from(Person).where(Person.full_name == "Morgan Ellis")) == 1


def test_a_representative_without_an_email_stops_the_letter_and_the_lead_sees_it_per_legislature(
    app, browser, session, represent, make_legislature_campaign, make_resident
):
    campaign = make_legislature_campaign("NS")
    member = make_resident("B2Y 1A1")
    browser.login(member.email)
    assert "Avery MacLeod" in _choose(browser, campaign, "B2Y 1A1")
    district = _district(session, "Dartmouth South")
    html = _write(browser, campaign, district.id).get_data(as_text=True)
    assert "We do not have a confirmed email address for Avery MacLeod yet" in html
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
    assert session.scalar(select(LetterObstacle.reason)) == "no_address"
    browser.logout()
    browser.login(campaign.lead.email)
    page = browser.get("/manage/campaigns").get_data(as_text=True)
    assert "Nova Scotia House of Assembly" in page.split('id="stopped-by-legislature"')[1].split("</table>")[0]
    page = browser.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "The directory holds 1 of the 55 MLAs of the Nova Scotia House of Assembly, 1 of them without" in page


def test_the_dashboard_counts_ridings_of_the_legislature_s_seats_and_shows_a_table_not_a_map(
    app, browser, session, represent, make_legislature_campaign, make_resident
):
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident(HALIFAX).email)
    _choose(browser, campaign)
    assert _write(browser, campaign, _district(session, "Halifax Citadel-Sable Island").id).status_code == 302
    browser.logout()
    browser.login(campaign.lead.email)
    html = browser.get(f"/dashboards/campaigns/{campaign.id}").get_data(as_text=True)
    reached = html.split('aria-labelledby="progress"')[1].split("</section>")[0]
    assert '<div class="display-6">1</div>' in reached and "ridings reached of 55" in reached
    assert 'id="no-map"' in html and '<svg class="map-svg"' not in html
    assert '<th scope="row">Halifax Citadel-Sable Island</th><td class="text-end">1</td>' in html


def test_an_ontario_campaign_keeps_its_map(app, browser, make_campaign):
    campaign = make_campaign()
    browser.login(campaign.lead.email)
    html = browser.get(f"/dashboards/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<svg class="map-svg"' in html and 'id="no-map"' not in html and "ridings reached of 124" in html


def test_a_colleague_is_invited_to_write_to_their_own_mla(
    app, browser, session, represent, make_legislature_campaign, make_resident, mailbox
):
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident(HALIFAX, name="Dr. Leila Haddad").email)
    _choose(browser, campaign)
    letter_page = _write(browser, campaign, _district(session, "Halifax Citadel-Sable Island").id).headers["Location"]
    share = letter_page.replace("http://localhost", "")
    assert browser.post(share, {"addresses": "colleague@example.org", "note": ""}, page=share).status_code == 302
    invite = next(m for m in mailbox.deliver() if m["To"] == "colleague@example.org")
    assert invite["Subject"] == "Dr. Leila Haddad invites you to write to your MLA"
    assert "has written to their MLA in the" in invite.get_body(preferencelist=("plain",)).get_content()
