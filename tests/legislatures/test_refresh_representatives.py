"""`flask crm refresh-representatives --legislature CODE`: Represent's members of a legislature, paged through,
compared with the directory (new, changed, left), and applied in one transaction once confirmed."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ContactPoint, ElectedOffice, Person
from tests.legislatures.represent_fake import (
    MLA_CITADEL,
    MLA_NEEDHAM_A,
    MLA_NEEDHAM_B,
    NS_SET,
    representative,
)


def _refresh(runner, *args, input=None):
    return runner.invoke(args=["crm", "refresh-representatives", *args], input=input)


def _ns_offices(session) -> dict[str, str]:
    """Current Nova Scotia seats: district name → member name."""
    rows = session.execute(
        select(ElectoralDistrict.name, Person.full_name)
        .join(ElectedOffice, ElectedOffice.district_id == ElectoralDistrict.id)
        .join(Person, Person.id == ElectedOffice.person_id)
        .join(Jurisdiction, Jurisdiction.id == ElectoralDistrict.jurisdiction_id)
        .where(Jurisdiction.code == "NS", ElectedOffice.current.is_(True))
    )
    return dict(rows.all())


def test_a_dry_run_shows_the_new_members_and_changes_nothing(app, runner, session, seeded, represent):
    result = _refresh(runner, "--legislature", "ns", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "new: (new riding) Halifax Citadel-Sable Island: Morgan Ellis — Nova Scotia Liberal Party" in result.output
    assert "Dry run: 3 new, 0 changed, 0 left, 0 vacant, 0 unchanged, 0 unclear. Nothing was changed." in result.output
    assert _ns_offices(session) == {}
    assert represent.requests == [
        "/representatives/nova-scotia-legislature/?limit=1000",
        "/representatives/nova-scotia-legislature/?limit=2&offset=2",  # meta.next, followed
    ]


def test_a_refresh_applies_then_shows_and_applies_a_change(app, runner, session, seeded, represent):
    result = _refresh(runner, "--legislature", "NS", "--yes")
    assert result.exit_code == 0, result.output
    assert "Representatives refreshed: 3 new" in result.output
    assert _ns_offices(session) == {
        "Halifax Citadel-Sable Island": "Morgan Ellis",
        "Halifax Chebucto": "Jordan Whitfield",
        "Dartmouth South": "Avery MacLeod",
    }
    ellis = copy.deepcopy(MLA_CITADEL) | {"email": "morgan.ellis@mla.example.org", "party_name": "Independent"}
    singh = representative(
        NS_SET,
        "Taylor Singh",
        "Halifax Chebucto",
        "Nova Scotia New Democratic Party",
        "t.singh@mla.example.org",
        "halifax-chebucto",
    )
    represent.sets["nova-scotia-legislature"] = [ellis, singh, MLA_NEEDHAM_A, MLA_NEEDHAM_B]
    session.remove()

    result = _refresh(runner, "--legislature", "NS", input="y\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        "changed: 3 Halifax Citadel-Sable Island: Morgan Ellis — party: Nova Scotia Liberal Party → Independent; "
        "email: m.ellis@mla.example.org → morgan.ellis@mla.example.org"
    ) in out
    assert "left: 2 Halifax Chebucto: Jordan Whitfield — office closed" in out
    assert "new: 2 Halifax Chebucto: Taylor Singh" in out
    assert "left: 1 Dartmouth South: Avery MacLeod" in out and "vacant: 1 Dartmouth South" in out
    assert "unclear: (new riding) Halifax Needham: Casey Burke and Riley Boudreau" in out
    assert "Apply these changes" in out and "Representatives refreshed" in out
    assert _ns_offices(session) == {"Halifax Citadel-Sable Island": "Morgan Ellis", "Halifax Chebucto": "Taylor Singh"}
    whitfield = session.scalar(select(Person).where(Person.full_name == "Jordan Whitfield"))
    assert whitfield.title == "Former MLA, Halifax Chebucto" and not whitfield.offices[0].current
    morgan = session.scalar(select(Person).where(Person.full_name == "Morgan Ellis"))
    emails = {(c.label, c.value) for c in morgan.contacts if c.kind == "email"}
    assert emails == {("legislature", "morgan.ellis@mla.example.org"), ("former", "m.ellis@mla.example.org")}
    assert morgan.offices[0].legislature_email == "morgan.ellis@mla.example.org"
    from crm.audit.models import AuditEvent

    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "represent_refresh")).all()
    assert len(actions) == 2  # one per applied refresh


def test_declining_the_refresh_changes_nothing(app, runner, session, seeded, represent):
    result = _refresh(runner, "--legislature", "NS", input="n\n")
    assert result.exit_code == 0 and "Nothing was changed" in result.output
    assert _ns_offices(session) == {}


def test_a_legislature_code_that_does_not_exist_is_refused(app, runner, session, seeded, represent):
    result = _refresh(runner, "--legislature", "ZZ", "--yes")
    assert result.exit_code != 0
    assert (
        "There is no legislature 'ZZ'. Use one of: AB, BC, CA, MB, NB, NL, NS, NT, NU, ON, PE, QC, SK, YT"
        in result.output
    )
    assert represent.requests == []


@pytest.mark.parametrize(
    ("trouble", "says"),
    [
        ("500", "Represent answered with an error (HTTP 500)"),
        ("429", "Represent's limit of 60 requests a minute was reached (HTTP 429)"),
        ("malformed", "Represent's answer was not the JSON expected (not JSON)"),
        ("slow", "Represent did not answer in time"),
    ],
)
def test_represent_failing_during_a_refresh_changes_nothing(app, runner, session, seeded, represent, trouble, says):
    represent.broken["/representatives/nova-scotia-legislature/"] = trouble
    result = _refresh(runner, "--legislature", "NS", "--yes")
    assert result.exit_code != 0
    assert f"Represent could not list the members: {says}" in result.output
    assert "the directory was not changed" in result.output
    assert _ns_offices(session) == {}


def test_an_empty_or_unreadable_answer_changes_nothing(app, runner, session, seeded, represent):
    _refresh(runner, "--legislature", "NS", "--yes")
    represent.sets["nova-scotia-legislature"] = []
    result = _refresh(runner, "--legislature", "NS", "--yes")
    assert result.exit_code != 0 and "Represent lists no members of the Nova Scotia House of Assembly" in result.output
    represent.sets["nova-scotia-legislature"] = [MLA_CITADEL, {"name": "", "district_name": "Halifax Chebucto"}]
    result = _refresh(runner, "--legislature", "NS", "--yes")
    assert result.exit_code != 0 and "1 member(s) at Represent had no name or district" in result.output
    assert len(_ns_offices(session)) == 3


def test_the_house_of_commons_refresh_adds_mps(app, runner, session, seeded, represent):
    result = _refresh(runner, "--legislature", "CA", "--yes")
    assert result.exit_code == 0, result.output
    mp = session.scalar(select(Person).where(Person.full_name == "Sam Okafor"))
    assert mp.title == "MP, Halifax" and mp.organization.name == "Parliament of Canada (House of Commons)"
    assert session.scalar(select(func.count()).select_from(ContactPoint).where(ContactPoint.person_id == mp.id)) == 2


def test_a_refresh_waits_for_represent_s_rate_limit_rather_than_fail(
    app, runner, session, seeded, represent, monkeypatch
):
    import time

    from crm.legislatures import client

    monkeypatch.setattr(client, "RATE", "1/second")
    started = time.monotonic()
    result = _refresh(runner, "--legislature", "NS", "--dry-run")
    assert result.exit_code == 0 and "3 new" in result.output
    assert len(represent.requests) == 2 and time.monotonic() - started >= 0.5  # the second page waited its turn


def test_a_refresh_with_nothing_new_says_so(app, runner, session, seeded, represent):
    _refresh(runner, "--legislature", "NS", "--yes")
    result = _refresh(runner, "--legislature", "NS")
    assert result.exit_code == 0
    assert "The directory already matches Represent: 0 new, 0 changed, 0 left, 0 vacant, 3 unchanged" in result.output


def test_a_riding_represent_renames_keeps_its_member(app, runner, session, seeded, represent):
    _refresh(runner, "--legislature", "NS", "--yes")
    renamed = copy.deepcopy(MLA_CITADEL) | {"district_name": "Halifax Citadel"}
    represent.sets["nova-scotia-legislature"][0] = renamed
    session.remove()
    result = _refresh(runner, "--legislature", "NS", "--yes")
    assert result.exit_code == 0, result.output
    assert "changed: 3 Halifax Citadel — riding renamed from Halifax Citadel-Sable Island" in result.output
    assert "1 changed, 0 left, 0 vacant, 3 unchanged" in result.output
    assert _ns_offices(session)["Halifax Citadel"] == "Morgan Ellis"
