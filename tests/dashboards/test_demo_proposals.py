"""The demo shows the proposals and asks: Ontario's proposal in two published versions with a PDF each, meetings
that presented them, every ask recorded everywhere, and the federal row the reference data has."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crm.dashboards.demo_proposals import demo_pdf
from crm.extensions import db
from crm.proposals.files import pdf_problem


def _xref_points_at_objects(data: bytes) -> bool:
    """Every offset in the PDF's cross-reference table lands on the object it names, and startxref on the table."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[start:].startswith(b"xref\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", data[start:])]
    return bool(offsets) and all(
        data[offset:].startswith(b"%d 0 obj" % number) for number, offset in enumerate(offsets, start=1)
    )


@pytest.mark.parametrize("title", ["Proposal to Ontario, version 1", "Brackets (and \\ backslashes) é"])
def test_the_demo_pdf_is_a_well_formed_pdf(title):
    data = demo_pdf(title, ["A paragraph long enough to wrap. " * 10])
    assert pdf_problem(data, 10**6) is None and _xref_points_at_objects(data)
    assert b"(Brackets \\(and \\\\ backslashes\\)" in data or b"Proposal to Ontario" in data


@pytest.fixture
def demo(app, runner, seeded):
    result = runner.invoke(args=["crm", "demo", "--scale", "small"])
    assert result.exit_code == 0, result.output
    return result


def test_the_demo_has_ontarios_proposal_in_two_published_versions_each_with_a_pdf(app, demo, browser):
    from crm.proposals.files import pdf_path
    from crm.proposals.models import Proposal

    with app.app_context():
        proposal = db.session.scalar(select(Proposal).where(Proposal.slug == "ontario"))
        assert [v.number for v in proposal.versions if v.is_published] == [1, 2]
        for version in proposal.versions:
            data = pdf_path(version.pdf_sha256).read_bytes()
            assert pdf_problem(data, 10**6) is None and _xref_points_at_objects(data)
        db.session.remove()
    page = browser.get("/proposals/ontario").get_data(as_text=True)
    assert "Proposal to Ontario" in page and "/proposals/ontario/v2/pdf" in page
    for number in (1, 2):
        response = browser.get(f"/proposals/ontario/v{number}/pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_the_demos_meetings_present_the_version_current_when_they_happened(app, demo):
    from crm.interactions.models import Interaction
    from crm.proposals.models import ProposalVersion

    with app.app_context():
        cited = db.session.execute(
            select(
                Interaction.kind, Interaction.occurred_at, ProposalVersion.number, ProposalVersion.published_at
            ).join(ProposalVersion, ProposalVersion.id == Interaction.proposal_version_id)
        ).all()
        db.session.remove()
    assert {row.number for row in cited} == {1, 2}
    assert all(row.kind == "meeting" and row.occurred_at >= row.published_at for row in cited)
    assert len(cited) > 10


def test_the_demo_scoreboard_has_every_ask_everywhere_and_the_federal_row(app, demo, browser):
    from crm.proposals.asks import scoreboard
    from crm.proposals.models import AskStatus

    with app.app_context():
        board = scoreboard(db.session)
        provinces = [row for row in board.rows if row.jurisdiction.kind != "federal"]
        assert len(provinces) == 13 and all(status is not None for row in provinces for status in row.statuses)
        assert board.rows[-1].jurisdiction.code == "CA"
        assert db.session.scalar(select(func.count(AskStatus.id))) == 13 * 3 + 1
        db.session.remove()
    html = browser.get("/asks").get_data(as_text=True)
    assert '<th scope="row">Canada (federal)</th>' in html and "Practice-Ready Assessment" in html
    assert "Not recorded" not in html.split("Canada (federal)")[0]
