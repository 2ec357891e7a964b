"""Proposal versions: drafts, publishing, immutability, the next version, and the hook for interactions."""

import pytest

from crm.extensions import db
from crm.lib.errors import ValidationError
from crm.proposals import services
from crm.proposals.models import ProposalVersion, PublishedVersionError
from tests.proposals.conftest import jurisdiction


def test_a_new_proposal_is_named_after_its_province_and_starts_with_a_draft_v1(session, make_user):
    proposal = services.create_proposal(
        session, jurisdiction_id=jurisdiction("ON").id, title="", author_id=make_user("committee").id
    )
    assert proposal.title == "Proposal to Ontario" and proposal.slug == "ontario"
    assert [(v.number, v.is_published) for v in proposal.versions] == [(1, False)]


def test_a_province_has_one_line_of_versions(session, make_proposal):
    make_proposal("ON")
    with pytest.raises(ValidationError) as error:
        services.create_proposal(session, jurisdiction_id=jurisdiction("ON").id, title=None, author_id=None)
    assert error.value.field == "jurisdiction_id" and "new version" in error.value.message


def test_slugs_drop_spaces_and_the_federal_label(session):
    assert services.slugify("Newfoundland and Labrador") == "newfoundland-and-labrador"
    assert services.slugify("Québec") == "quebec"
    proposal = services.create_proposal(session, jurisdiction_id=jurisdiction("CA").id, title=None, author_id=None)
    assert proposal.slug == "canada" and proposal.title == "Proposal to Canada (federal)"


def test_publishing_needs_a_body_and_after_v1_a_summary_of_changes(session, make_proposal):
    proposal = make_proposal("ON", published=[])
    v1 = proposal.versions[0]
    with pytest.raises(ValidationError) as error:
        services.publish_version(session, v1)
    assert error.value.field == "body"
    services.update_draft(session, v1, body="Text", change_summary="")
    services.publish_version(session, v1)
    v2 = services.start_next_version(session, proposal.id, author_id=None)
    with pytest.raises(ValidationError) as error:
        services.publish_version(session, v2)
    assert error.value.field == "change_summary"


def test_editing_a_published_version_is_refused_and_points_to_a_new_version(session, make_proposal):
    proposal = make_proposal("ON", published=["Original text."])
    v1 = proposal.versions[0]
    with pytest.raises(ValidationError) as error:
        services.update_draft(session, v1, body="Rewritten", change_summary="sneaky")
    assert "Start a new version" in error.value.message
    session.rollback()
    assert session.get(ProposalVersion, v1.id).body == "Original text."


def test_the_database_layer_refuses_any_change_to_a_published_version(session, make_proposal):
    proposal = make_proposal("ON", published=["Original text."])
    version = session.get(ProposalVersion, proposal.versions[0].id)
    version.body = "Changed behind the service's back"
    with pytest.raises(PublishedVersionError):
        session.flush()
    session.rollback()
    version = session.get(ProposalVersion, proposal.versions[0].id)
    version.published_at = None  # "unpublishing" is a change too
    with pytest.raises(PublishedVersionError):
        session.flush()
    session.rollback()


def test_the_next_version_starts_from_the_last_text_and_only_one_draft_exists(session, make_proposal):
    proposal = make_proposal("ON", published=["v1 text", "v2 text"])
    v3 = services.start_next_version(session, proposal.id, author_id=None)
    assert v3.number == 3 and v3.body == "v2 text" and not v3.is_published and v3.pdf_sha256 is None
    with pytest.raises(ValidationError) as error:
        services.start_next_version(session, proposal.id, author_id=None)
    assert "already a draft" in error.value.message


def test_interaction_form_hook_offers_published_versions_of_the_jurisdiction_newest_first(session, make_proposal):
    make_proposal("ON", published=["one", "two"], draft="three")
    make_proposal("BC", published=["bc one"])
    versions = services.versions_for_jurisdiction(session, jurisdiction("ON").id)
    assert [v.number for v in versions] == [2, 1]
    assert services.version_choice_label(versions[0]).startswith("Proposal to Ontario, version 2 (published ")
    assert len(services.versions_for_jurisdiction(session, None)) == 3
    assert services.versions_for_jurisdiction(session, jurisdiction("NU").id) == []


def test_interactions_can_only_link_a_published_version_of_their_jurisdiction(session, make_proposal):
    ontario = make_proposal("ON", published=["one"], draft="two")
    published, draft = ontario.versions
    assert services.presentable_version(session, published.id, jurisdiction("ON").id) is published
    for version_id, code in ((draft.id, "ON"), (published.id, "BC"), (10**6, "ON")):
        with pytest.raises(ValidationError) as error:
            services.presentable_version(session, version_id, jurisdiction(code).id)
        assert error.value.field == "proposal_version_id"


def test_version_changes_are_in_the_audit_log(session, make_proposal):
    from crm.audit.models import AuditEvent

    make_proposal("ON", published=["one"])
    actions = {(e.entity_type, e.action) for e in session.scalars(db.select(AuditEvent))}
    assert ("proposal_versions", "create") in actions and ("proposal_versions", "update") in actions
