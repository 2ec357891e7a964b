"""What members see when Represent does not help: an unknown code, a vacancy, two members for one district, a
limit, an error, a broken or slow answer. They get a clear message; nothing is half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.legislatures.models import RepresentAnswer
from crm.reference.models import ElectoralDistrict
from crm.stakeholders.models import ElectedOffice, Person


def _choose(browser, campaign, code) -> str:
    return browser.get(f"/campaigns/{campaign.slug}/write?postal_code={code}").get_data(as_text=True)


def _people(session) -> int:
    """People outside Ontario (the seeded roster is Ontario's)."""
    from crm.reference.models import Jurisdiction

    return session.scalar(select(func.count()).select_from(Person).join(Jurisdiction).where(Jurisdiction.code != "ON"))


@pytest.fixture
def halifax_member(browser, make_legislature_campaign, make_resident):
    campaign = make_legislature_campaign("NS")
    browser.login(make_resident("B3H 4R2").email)
    return campaign


def test_a_postal_code_represent_does_not_know_is_said_so(browser, session, represent, halifax_member):
    html = _choose(browser, halifax_member, "B3H 9Z9")
    assert "Represent does not know that postal code" in html
    assert _people(session) == 0


def test_no_mla_listed_for_a_postal_code_says_the_seat_may_be_vacant(browser, session, represent, halifax_member):
    html = _choose(browser, halifax_member, "B3J 9Z9")
    assert "Represent lists no MLA for that postal code (the seat may be vacant)" in html
    assert _people(session) == 0  # the MP it lists is not taken for a Nova Scotia campaign


def test_two_mlas_for_one_district_are_not_guessed_between(browser, session, represent, halifax_member):
    html = _choose(browser, halifax_member, "B3K 1A1")
    assert "Represent lists more than one MLA for Halifax Needham" in html
    assert "Casey Burke" not in html and "Riley Boudreau" not in html
    assert "Halifax Needham: this seat is vacant" in html
    assert _people(session) == 0


def test_two_mlas_for_a_district_the_directory_knows_keep_the_directory_s_member(
    app, browser, session, represent, halifax_member
):
    _choose(browser, halifax_member, "B3K 1A1")  # the district is now known, with no one in it
    from crm.legislatures.directory import open_office
    from crm.reference.models import Jurisdiction

    needham = session.scalar(select(ElectoralDistrict).where(ElectoralDistrict.name == "Halifax Needham"))
    ns = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "NS"))
    open_office(session, ns, needham, {"party": "Independent", "legislature_email": "kept@mla.example.org"}, "Kept One")
    session.commit()
    session.execute(RepresentAnswer.__table__.delete())
    session.commit()
    html = _choose(browser, halifax_member, "B3K 1A1")
    assert "Kept One" in html and "Represent lists more than one MLA" in html


@pytest.mark.parametrize(
    ("trouble", "says"),
    [
        ("429", "the Represent service is busy"),
        ("500", "the Represent service is unavailable"),
        ("malformed", "the Represent service sent an answer we could not read"),
        ("slow", "the Represent service did not answer in time"),
    ],
)
def test_represent_failing_gives_a_clear_message_and_saves_nothing(
    browser, session, represent, halifax_member, trouble, says
):
    represent.broken["/postcodes/B3H4R2/"] = trouble
    html = _choose(browser, halifax_member, "B3H 4R2")
    assert f"We could not look up your postal code just now ({says})" in html
    assert "choose your riding from the list below" in html.lower()
    assert _people(session) == 0
    assert session.scalar(select(func.count()).select_from(RepresentAnswer)) == 0
    assert session.scalar(select(func.count()).select_from(ElectedOffice).where(ElectedOffice.source.is_not(None))) == 0


def test_when_represent_is_down_an_answer_found_before_still_serves(
    app, browser, session, represent, halifax_member, monkeypatch
):
    from datetime import datetime, timedelta

    assert "Morgan Ellis" in _choose(browser, halifax_member, "B3H 4R2")
    session.execute(RepresentAnswer.__table__.update().values(fetched_at=datetime.utcnow() - timedelta(days=90)))
    session.commit()
    represent.broken["/postcodes/B3H4R2/"] = "500"
    html = _choose(browser, halifax_member, "B3H 4R2")
    assert "Morgan Ellis" in html and "could not look up" not in html


def test_represent_down_falls_back_to_the_directory_s_ridings(browser, session, represent, halifax_member):
    assert "Morgan Ellis" in _choose(browser, halifax_member, "B3H 4R2")
    represent.broken["/postcodes/B3L2C3/"] = "500"
    html = _choose(browser, halifax_member, "B3L 2C3")
    assert "could not look up your postal code" in html
    assert '<option value="district-' in html and "Halifax Citadel-Sable Island</option>" in html


def test_the_lookup_stays_within_60_requests_a_minute(app, browser, session, represent, halifax_member, monkeypatch):

    from crm.legislatures import client

    monkeypatch.setattr(client, "RATE", "1/minute")
    assert "Morgan Ellis" in _choose(browser, halifax_member, "B3H 4R2")
    html = _choose(browser, halifax_member, "B3L 2C3")
    assert "the Represent service is busy" in html
    assert represent.requests == ["/postcodes/B3H4R2/"]


def test_without_represent_configured_nothing_is_asked_and_the_list_is_offered(
    app, browser, session, halifax_member, httpserver
):
    assert app.config["REPRESENT_API_URL"] is None
    html = _choose(browser, halifax_member, "B3H 4R2")
    assert "could not look up" not in html and "We could not place that postal code" in html
    assert "lists no ridings of the Nova Scotia House of Assembly yet" in html
    assert httpserver.log == []


def test_a_postal_code_in_another_province_is_said_so_without_asking_represent(
    browser, session, represent, halifax_member
):
    html = _choose(browser, halifax_member, "M5V 3L9")
    assert "That postal code is in Ontario, outside Nova Scotia" in html and "MLAs" in html
    assert represent.requests == []


def test_a_district_represent_renames_is_the_same_district(browser, session, represent, halifax_member):
    assert "Morgan Ellis" in _choose(browser, halifax_member, "B3H 4R2")
    before = session.scalar(
        select(ElectoralDistrict.id).where(ElectoralDistrict.name == "Halifax Citadel-Sable Island")
    )
    for rep in represent.postcodes["B3L2C3"]["representatives_centroid"]:
        if rep["name"] == "Jordan Whitfield":
            rep.update(name="Morgan Ellis", district_name="Halifax Citadel", email="m.ellis@mla.example.org")
            rep["related"]["boundary_url"] = (
                "/boundaries/nova-scotia-electoral-districts-2019/halifax-citadel-sable-island/"
            )
    html = _choose(browser, halifax_member, "B3L 2C3")
    assert "MLA · Halifax Citadel" in html
    assert session.scalar(select(ElectoralDistrict.name).where(ElectoralDistrict.id == before)) == "Halifax Citadel"
