"""The committee's pages: create a proposal, edit drafts, publish, start a new version, compare."""

from crm.extensions import db
from crm.proposals.models import Proposal, ProposalVersion
from tests.proposals.conftest import jurisdiction


def test_committee_creates_a_proposal_edits_and_publishes_it(committee):
    response = committee.post(
        "/committee/proposals/new", {"jurisdiction_id": jurisdiction("ON").id, "title": ""}, page="/committee/proposals"
    )
    assert response.status_code == 302 and "/edit" in response.location
    edit_url = response.location
    response = committee.post(edit_url, {"body": "# Ontario\n\nMore PRA spots.", "change_summary": "First."})
    assert response.status_code == 302
    version = db.session.scalar(db.select(ProposalVersion))
    response = committee.post(
        f"/committee/proposals/versions/{version.id}/publish",
        page=f"/committee/proposals/versions/{version.id}",
        follow_redirects=True,
    )
    assert "Published version 1" in response.get_data(as_text=True)
    public = committee.get("/proposals/ontario").get_data(as_text=True)
    assert "<h1>Ontario</h1>" in public and "More PRA spots." in public


def test_editing_a_published_version_is_refused_with_a_pointer_to_a_new_version(committee, make_proposal):
    proposal = make_proposal("ON", published=["Published words."])
    version_id = proposal.versions[0].id
    response = committee.post(
        f"/committee/proposals/versions/{version_id}/edit",
        {"body": "Overwritten", "change_summary": "x"},
        page=f"/committee/proposals/versions/{version_id}",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "is published and can no longer change" in html and "Start a new version" in html
    db.session.expire_all()
    assert db.session.get(ProposalVersion, version_id).body == "Published words."
    assert committee.get(f"/committee/proposals/versions/{version_id}/edit").status_code == 303


def test_starting_a_new_version_copies_the_text_and_a_second_start_goes_to_the_draft(committee, make_proposal):
    proposal = make_proposal("ON", published=["v1 words"])
    page = f"/committee/proposals/{proposal.id}"
    response = committee.post(f"/committee/proposals/{proposal.id}/versions/new", page=page)
    draft = db.session.scalar(db.select(ProposalVersion).where(ProposalVersion.number == 2))
    assert response.location.endswith(f"/committee/proposals/versions/{draft.id}/edit")
    assert "v1 words" in committee.get(response.location).get_data(as_text=True)
    again = committee.post(f"/committee/proposals/{proposal.id}/versions/new", page=page, follow_redirects=True)
    assert "already a draft" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(ProposalVersion.id))) == 2


def test_publishing_without_a_summary_of_changes_is_refused(committee, make_proposal):
    proposal = make_proposal("ON", published=["v1"], draft="v2 text")
    draft = proposal.versions[-1]
    draft.change_summary = ""
    db.session.commit()
    response = committee.post(
        f"/committee/proposals/versions/{draft.id}/publish",
        page=f"/committee/proposals/versions/{draft.id}",
        follow_redirects=True,
    )
    assert "Say what changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProposalVersion, draft.id).published_at is None


def test_compare_marks_additions_and_removals_side_by_side(committee, make_proposal):
    proposal = make_proposal(
        "ON",
        published=[
            "Intro\nWe ask for 50 PRA spots.\nOld closing line.",
            "Intro\nWe ask for 100 PRA spots.\nNew paragraph.",
        ],
    )
    html = committee.get(f"/committee/proposals/{proposal.id}/compare?old=1&new=2").get_data(as_text=True)
    assert "<del>50</del>" in html and "<ins>100</ins>" in html
    assert "2 changed" in html or "changed" in html
    assert 'class="diff-equal"' in html  # the unchanged intro line sits on both sides


def test_compare_escapes_markup_in_the_text(committee, make_proposal):
    proposal = make_proposal("ON", published=["plain", "<script>alert(1)</script> & <b>bold</b>"])
    html = committee.get(f"/committee/proposals/{proposal.id}/compare?old=1&new=2").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&amp;" in html


def test_compare_with_an_unknown_version_goes_back_to_the_proposal(committee, make_proposal):
    proposal = make_proposal("ON", published=["one", "two"])
    response = committee.get(f"/committee/proposals/{proposal.id}/compare?old=1&new=9")
    assert response.status_code == 302
    assert committee.get(f"/committee/proposals/{proposal.id}/compare?old=x&new=2").status_code in (302, 400)


def test_compare_service_pairs_changed_lines_and_keeps_order():
    from crm.proposals.services import compare_bodies, diff_counts

    rows = compare_bodies("a\nb\nc", "a\nB\nc\nd")
    assert [row.kind for row in rows] == ["equal", "replace", "equal", "insert"]
    assert rows[1].left == [("b", True)] and rows[1].right == [("B", True)]
    assert rows[3].right_number == 4 and rows[3].left_number is None
    assert diff_counts(rows) == {"insert": 1, "delete": 0, "replace": 1}


def test_a_member_cannot_reach_the_committee_pages(browser, make_user, make_proposal):
    proposal = make_proposal("ON", published=["one"])
    member = make_user("member")
    browser.login(member.email)
    for url in (
        "/committee/proposals",
        f"/committee/proposals/{proposal.id}",
        f"/committee/proposals/versions/{proposal.versions[0].id}",
        "/committee/asks/pra/ON",
    ):
        assert browser.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in_for_committee_pages(browser):
    response = browser.get("/committee/proposals")
    assert response.status_code == 302 and "/login" in response.location


def test_the_version_page_lists_where_it_went_from_subscribers(committee, make_proposal):
    from datetime import date

    from crm.proposals.services import Presentation, where_it_went

    proposal = make_proposal("ON", published=["one", "two"])
    v2 = proposal.versions[1]
    url = f"/committee/proposals/versions/{v2.id}"
    assert "Not yet recorded as presented" in committee.get(url).get_data(as_text=True)

    def meetings(version, session):
        if version.number != 2:
            return []
        return [
            Presentation(
                when=date(2026, 10, 1),
                kind="meeting",
                title="Queen's Park meeting <b>",
                recipients=("Jane MPP", "John MPP"),
            )
        ]

    where_it_went.connect(meetings)
    try:
        html = committee.get(url).get_data(as_text=True)
    finally:
        where_it_went.disconnect(meetings)
    assert "Queen&#39;s Park meeting &lt;b&gt;" in html and "Received by: Jane MPP, John MPP" in html


def test_proposal_names_are_unique_per_jurisdiction_in_the_create_form(committee, make_proposal):
    make_proposal("ON")
    html = committee.get("/committee/proposals").get_data(as_text=True)
    assert f'value="{jurisdiction("ON").id}"' not in html and f'value="{jurisdiction("BC").id}"' in html
    response = committee.post(
        "/committee/proposals/new", {"jurisdiction_id": jurisdiction("ON").id}, page="/committee/proposals"
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Proposal.id))) == 1


def test_nul_characters_in_text_are_refused_not_a_database_error(committee, make_proposal, asks):
    """PostgreSQL refuses NUL in text; the app answers 400 before anything is saved."""
    draft = make_proposal("ON", published=[]).versions[0]
    response = committee.post(
        f"/committee/proposals/versions/{draft.id}/edit", {"body": "Hello\x00 world", "change_summary": "a\x00b"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert "\x00" not in (db.session.get(ProposalVersion, draft.id).body or "")
    response = committee.post(
        "/committee/asks/pra/ON",
        {"status": "operating", "program_name": "P\x00RO", "note": "n\x00", "as_of": "2026-10-01"},
    )
    assert response.status_code == 400
