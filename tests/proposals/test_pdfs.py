"""Proposal PDFs: really PDFs, within the limit, stored outside static/ with size and SHA-256, downloadable."""

import hashlib
from pathlib import Path

from crm.extensions import db
from crm.proposals.models import ProposalVersion
from tests.proposals.conftest import make_pdf, upload


def _edit(committee, version, pdf_bytes, name="Ontario proposal.pdf", **extra):
    url = f"/committee/proposals/versions/{version.id}/edit"
    data = {"body": version.body or "Text", "change_summary": "With PDF", "pdf": upload(pdf_bytes, name), **extra}
    return committee.post(url, data, content_type="multipart/form-data")


def _reload(version) -> ProposalVersion:
    db.session.expire_all()
    return db.session.get(ProposalVersion, version.id)


def test_a_pdf_is_stored_outside_static_with_its_size_and_sha256(app, committee, make_proposal):
    draft = make_proposal("ON", published=[], draft=None).versions[0]
    pdf = make_pdf(5000)
    assert _edit(committee, draft, pdf).status_code == 302
    version = _reload(draft)
    assert version.pdf_size == len(pdf) and version.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert version.pdf_filename == "Ontario_proposal.pdf"
    stored = Path(app.instance_path) / "proposal_files" / f"{version.pdf_sha256}.pdf"
    assert stored.read_bytes() == pdf
    assert "static" not in stored.parts
    html = committee.get(f"/committee/proposals/versions/{version.id}").get_data(as_text=True)
    assert version.pdf_sha256 in html and "5,000 bytes" in html


def test_a_file_that_claims_to_be_a_pdf_but_is_not_is_refused(committee, make_proposal):
    draft = make_proposal("ON", published=[]).versions[0]
    response = _edit(committee, draft, b"MZ\x90\x00 this is an executable" * 50, name="proposal.pdf")
    assert response.status_code == 400
    assert "not a PDF" in response.get_data(as_text=True)
    assert _reload(draft).pdf_sha256 is None


def test_a_truncated_pdf_without_an_end_marker_is_refused(committee, make_proposal):
    draft = make_proposal("ON", published=[]).versions[0]
    response = _edit(committee, draft, make_pdf(4000)[:3000])
    assert response.status_code == 400 and "incomplete or damaged" in response.get_data(as_text=True)


def test_a_pdf_over_the_limit_is_refused_with_a_message(app, committee, make_proposal, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_PDF_MAX_BYTES", 10_000)
    draft = make_proposal("ON", published=[]).versions[0]
    response = _edit(committee, draft, make_pdf(10_001))
    assert response.status_code == 400
    assert "That PDF is 9.8 KB; the limit is 9.8 KB" in response.get_data(as_text=True)
    assert _reload(draft).pdf_sha256 is None


def test_the_upload_route_accepts_pdfs_larger_than_the_global_request_limit(app, committee, make_proposal):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024  # every other form keeps the small limit
    draft = make_proposal("ON", published=[]).versions[0]
    big = make_pdf(3 * 1024 * 1024)
    assert _edit(committee, draft, big).status_code == 302
    assert _reload(draft).pdf_size == len(big)


def test_a_request_far_over_the_pdf_limit_gets_the_413_page_not_a_500(app, committee, make_proposal, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_PDF_MAX_BYTES", 10_000)
    draft = make_proposal("ON", published=[]).versions[0]
    response = _edit(committee, draft, make_pdf(3 * 1024 * 1024))
    assert response.status_code == 413 and "Too large" in response.get_data(as_text=True)


def test_the_upload_route_still_checks_csrf(committee, make_proposal):
    draft = make_proposal("ON", published=[]).versions[0]
    response = committee.client.post(
        f"/committee/proposals/versions/{draft.id}/edit", data={"body": "x", "change_summary": "y"}
    )
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_anyone_downloads_a_published_pdf_under_a_clear_name(committee, browser, make_proposal):
    draft = make_proposal("ON", published=[]).versions[0]
    pdf = make_pdf(2000)
    _edit(committee, draft, pdf, body="Body")
    committee.post(
        f"/committee/proposals/versions/{draft.id}/publish", page=f"/committee/proposals/versions/{draft.id}"
    )
    committee.logout()
    response = browser.get("/proposals/ontario/v1/pdf")
    assert response.status_code == 200 and response.data == pdf
    assert response.mimetype == "application/pdf"
    assert "attachment; filename=ITPO-ontario-proposal-v1.pdf" in response.headers["Content-Disposition"]


def test_a_draft_pdf_is_not_public(committee, browser, make_proposal):
    proposal = make_proposal("ON", published=["v1"], draft="v2")
    draft = proposal.versions[-1]
    _edit(committee, draft, make_pdf(2000), body="v2")
    assert committee.get("/proposals/ontario/v2/pdf").status_code == 200  # the committee can check it
    committee.logout()
    assert browser.get("/proposals/ontario/v2/pdf").status_code == 404
    assert browser.get("/proposals/ontario/v1/pdf").status_code == 404  # v1 has no PDF


def test_removing_the_pdf_from_a_draft(committee, make_proposal):
    draft = make_proposal("ON", published=[]).versions[0]
    _edit(committee, draft, make_pdf(2000))
    response = committee.post(
        f"/committee/proposals/versions/{draft.id}/edit",
        {"body": "Text", "change_summary": "No PDF", "remove_pdf": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _reload(draft).pdf_sha256 is None
