"""The asks scoreboard: seeded from the PRA programs, public for Canada, edited by the committee with history."""

from datetime import date, timedelta

import pytest

from crm.extensions import db
from crm.lib.errors import ValidationError
from crm.proposals import asks as ask_services
from crm.proposals.models import Ask, AskStatus
from tests.proposals.conftest import jurisdiction


def _current(code: str, ask_code: str = "pra") -> AskStatus | None:
    board = ask_services.scoreboard(db.session)
    index = [a.code for a in board.asks].index(ask_code)
    return next(row.statuses[index] for row in board.rows if row.jurisdiction.code == code)


def test_seed_loads_three_asks_and_the_provinces_that_run_a_pra_program(asks):
    assert [a.code for a in db.session.scalars(db.select(Ask).order_by(Ask.position))] == [
        "pra",
        "residency",
        "clinical_assistant",
    ]
    ontario = _current("ON")
    assert ontario.status == "operating" and ontario.program_name == "Practice Ready Ontario (PRO)"
    assert ontario.source_url.startswith("https://touchstoneinstitute.ca")
    assert _current("SK").program_name.startswith("Saskatchewan International Physician Practice Assessment")
    assert _current("PE") is None and _current("NU") is None  # no program in our data: not recorded
    assert _current("ON", "residency") is None


def test_the_seed_is_idempotent_and_keeps_the_committees_edits(asks, session):
    ontario_pra = _current("ON")
    ask_services.record_ask_status(
        session,
        ask=ontario_pra.ask,
        jurisdiction=jurisdiction("ON"),
        status="expanded",
        figure=100,
        program_name="PRO",
        source_url=None,
        as_of=date(2026, 1, 5),
        note=None,
        recorded_by_id=None,
    )
    session.commit()
    from crm.cli import seed_reference_data

    counts = seed_reference_data(session)
    session.commit()
    assert counts["asks"] == 0 and counts["pra_statuses"] == 0
    assert _current("ON").status == "expanded"
    assert session.scalar(db.select(db.func.count(AskStatus.id))) == 10


def test_flask_crm_seed_loads_the_asks(runner, app):
    result = runner.invoke(args=["crm", "seed"])
    assert result.exit_code == 0 and "asks: 3" in result.output and "pra_statuses: 9" in result.output


def test_the_public_scoreboard_shows_every_province_and_territory(browser, asks):
    html = browser.get("/asks").get_data(as_text=True)
    for name in ("Ontario", "Quebec", "Prince Edward Island", "Yukon", "Nunavut", "Northwest Territories"):
        assert f'<th scope="row">{name}</th>' in html
    assert "Canada (federal)" not in html
    assert "Practice Ready Ontario (PRO)" in html and "Not recorded" in html
    assert "/committee/asks/" not in html  # no edit links for the public


def test_the_committee_records_a_new_status_and_the_old_one_stays_as_history(committee, asks):
    url = "/committee/asks/pra/ON"
    response = committee.post(
        url,
        {
            "status": "expanded",
            "program_name": "Practice Ready Ontario",
            "figure": "150",
            "source_url": "https://www.ontario.ca/news",
            "as_of": "2026-10-01",
            "note": "Announced in the fall statement.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/asks")
    current = _current("ON")
    assert (current.status, current.figure, current.as_of) == ("expanded", 150, date(2026, 10, 1))
    assert current.recorded_by_id == committee.user.id
    history = committee.get(url).get_data(as_text=True)
    assert "Expanded" in history and "Operating" in history and "the reference data" in history
    board = committee.get("/asks").get_data(as_text=True)
    assert "PRA spots per year: 150" in board and "as of 2026-10-01" in board and url in board


@pytest.mark.parametrize(
    "figure, message", [("-5", "cannot be negative"), ("lots", "whole number"), ("1.5", "whole number")]
)
def test_a_figure_that_is_negative_or_not_a_number_is_refused(committee, asks, figure, message):
    response = committee.post(
        "/committee/asks/pra/ON", {"status": "operating", "figure": figure, "as_of": "2026-10-01"}
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _current("ON").status == "operating" and _current("ON").figure is None


def test_a_figure_on_an_ask_without_one_and_a_non_web_source_are_refused(session, asks):
    clinical = session.scalar(db.select(Ask).where(Ask.code == "clinical_assistant"))
    common = dict(
        ask=clinical,
        jurisdiction=jurisdiction("ON"),
        status="announced",
        program_name=None,
        as_of=date(2026, 1, 1),
        note=None,
        recorded_by_id=None,
    )
    with pytest.raises(ValidationError) as error:
        ask_services.record_ask_status(session, figure=3, source_url=None, **common)
    assert error.value.field == "figure"
    with pytest.raises(ValidationError) as error:
        ask_services.record_ask_status(session, figure=None, source_url="javascript://x%0aalert(1)", **common)
    assert error.value.field == "source_url"
    with pytest.raises(ValidationError) as error:
        ask_services.record_ask_status(
            session, figure=None, source_url=None, **{**common, "as_of": date.today() + timedelta(days=2)}
        )
    assert error.value.field == "as_of"
    with pytest.raises(ValidationError):
        ask_services.record_ask_status(session, figure=-1, source_url=None, **{**common, "ask": _current("ON").ask})


def test_the_database_refuses_a_negative_figure_too(session, asks):
    from sqlalchemy.exc import IntegrityError

    session.add(
        AskStatus(ask_id=_current("ON").ask_id, jurisdiction_id=jurisdiction("ON").id, status="operating", figure=-1)
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_unknown_asks_and_the_federal_level_have_no_edit_page(committee, asks):
    assert committee.get("/committee/asks/nothing/ON").status_code == 404
    assert committee.get("/committee/asks/pra/CA").status_code == 404
    assert committee.get("/committee/asks/pra/on").status_code == 200


def test_the_scoreboard_uses_a_constant_number_of_queries(browser, asks, session, count_queries):
    with count_queries() as few:
        browser.get("/asks")
    pra = session.scalar(db.select(Ask).where(Ask.code == "pra"))
    for day in range(1, 6):
        for code in ("ON", "BC", "PE"):
            ask_services.record_ask_status(
                session,
                ask=pra,
                jurisdiction=jurisdiction(code),
                status="announced",
                figure=day,
                program_name=None,
                source_url=None,
                as_of=date(2026, 1, day),
                note=None,
                recorded_by_id=None,
            )
    session.commit()
    with count_queries() as many:
        browser.get("/asks")
    assert many.n == few.n
