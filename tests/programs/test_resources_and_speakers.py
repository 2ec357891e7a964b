"""The resource library (links and checked uploads) and speaker offers."""

import io

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.members.models import ConsentRecord, MemberProfile
from crm.programs import services, speakers
from crm.programs.models import Resource, SpeakerOffer
from tests.programs.conftest import run

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(browser, programs, filename, data, **extra):
    form = {
        "csrf_token": browser.token("/programs/manage/resources"),
        "program_id": programs["before"],
        "title": "MCCQE1 study plan",
        "stages": ["exams"],
        **extra,
    }
    if filename:
        form["file"] = (io.BytesIO(data), filename)
    return browser.client.post("/programs/manage/resources", data=form, content_type="multipart/form-data")


@pytest.fixture
def committee(browser, make_user):
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    return browser


def test_committee_uploads_a_pdf_that_members_download(app, committee, programs, tmp_path):
    app.config["PROGRAM_FILES_DIR"] = str(tmp_path)
    try:
        assert _upload(committee, programs, "plan.pdf", PDF).status_code == 302
        with app.app_context():
            resource = db.session.scalar(select(Resource))
            resource_id, stored = resource.id, resource.stored_name
            db.session.remove()
        assert (tmp_path / stored).read_bytes() == PDF
        response = committee.get(f"/programs/resources/{resource_id}/file")
        assert response.status_code == 200 and response.data == PDF
        assert response.mimetype == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
    finally:
        app.config.pop("PROGRAM_FILES_DIR")


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("plan.exe", b"MZ\x90\x00", "Upload a PDF"),
        ("plan.pdf", b"<html>not a pdf</html>", "not really a .pdf"),
        ("photo.png", PDF, "not really a .png"),
    ],
)
def test_uploads_of_the_wrong_type_are_refused(app, committee, programs, filename, data, message):
    response = _upload(committee, programs, filename, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Resource.id)) is None
        db.session.remove()


def test_uploads_over_the_size_limit_are_refused(app, committee, programs):
    app.config["PROGRAM_FILE_MAX_BYTES"] = 1000
    try:
        response = _upload(committee, programs, "big.pdf", PDF + b"0" * 2000)
    finally:
        app.config.pop("PROGRAM_FILE_MAX_BYTES")
    assert response.status_code == 400
    assert "the limit is" in response.get_data(as_text=True)


def test_a_link_resource_and_a_member_sees_the_resources_for_their_stage(app, committee, programs, make_user):
    assert _upload(committee, programs, None, None, url="https://mcc.ca/examinations/mccqe-part-i/").status_code == 302
    _upload(
        committee,
        programs,
        None,
        None,
        url="https://example.org/residency",
        title="Residency guide",
        stages=["residency"],
    )
    committee.logout()
    member = make_user("member", email="m@example.org")
    with app.app_context():
        db.session.add(MemberProfile(user_id=member.id, licensure_stage="exams"))
        db.session.commit()
        db.session.remove()
    committee.login("m@example.org")
    home = committee.get("/home").get_data(as_text=True)
    assert "MCCQE1 study plan" in home and "Residency guide" not in home


def test_a_resource_needs_a_link_or_a_file_but_not_both(app, committee, programs):
    assert _upload(committee, programs, None, None).status_code == 400
    assert _upload(committee, programs, None, None, url="javascript:alert(1)").status_code == 400
    assert _upload(committee, programs, "a.pdf", PDF, url="https://x.example").status_code == 400


def test_member_offers_to_speak_and_the_committee_assigns_them_to_an_event(app, browser, make_user, make_event):
    event_id = make_event()
    make_user("member", email="speaker@example.org", name="Dr Amina Yusuf")
    browser.login("speaker@example.org")
    response = browser.post(
        "/programs/speak",
        {"route": "matched", "program_id": "", "consent_featured": "y", "topic": "How I prepared for CaRMS interviews"},
    )
    assert response.status_code == 302
    with app.app_context():
        offer = db.session.scalar(select(SpeakerOffer))
        offer_id = offer.id
        consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.purpose == "speaker_featured"))
        assert consent.granted is True
        db.session.remove()
    browser.logout()
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    url = f"/programs/manage/events/{event_id}"
    assert browser.post(url + "/speakers", {"offer_id": str(offer_id)}, page=url).status_code == 302
    assert "Only accepted" in browser.get(url).get_data(as_text=True)  # not yet accepted
    browser.post(
        f"/programs/manage/speakers/{offer_id}/review", {"decision": "accepted"}, page="/programs/manage/speakers"
    )
    browser.post(url + "/speakers", {"offer_id": str(offer_id)}, page=url)
    assert "Dr Amina Yusuf" in browser.client.get(f"/programs/events/{event_id}").get_data(as_text=True)


def test_a_speaker_who_did_not_consent_is_not_named_in_public(app, client, make_user, make_event):
    event_id = make_event()
    member = make_user("member", email="quiet@example.org", name="Quiet Speaker")
    reviewer = make_user("committee", email="c@example.org")
    with app.app_context():
        offer = speakers.offer_to_speak(
            db.session,
            user_id=member.id,
            route="pra",
            topic="PRA in Saskatchewan",
            consent_featured=False,
            program_id=None,
        )
        speakers.review_offer(db.session, offer.id, "accepted", reviewer.id)
        speakers.assign_speaker(db.session, event_id, offer.id)
        db.session.commit()
        db.session.remove()
    page = client.get(f"/programs/events/{event_id}").get_data(as_text=True)
    assert "Quiet Speaker" not in page and "An ITPO member" in page


def test_a_member_cannot_offer_twice_while_an_offer_waits(app, make_user):
    member = make_user("member")
    run(
        app,
        speakers.offer_to_speak,
        user_id=member.id,
        route="licensed",
        topic="x",
        consent_featured=True,
        program_id=None,
    )
    with pytest.raises(services.ValidationError, match="already have an offer"):
        run(
            app,
            speakers.offer_to_speak,
            user_id=member.id,
            route="licensed",
            topic="y",
            consent_featured=True,
            program_id=None,
        )
