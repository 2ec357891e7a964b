"""Probable duplicates are flagged; merging keeps one record, moves every link and is audited."""

from datetime import date

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.stakeholders import services, stances
from crm.stakeholders.models import ContactPoint, ElectedOffice, Person, Stance


def test_list_flags_people_sharing_an_email_or_a_name_within_an_organization(committee, make_person):
    make_person("Ana One", emails=["shared@example.org"])
    make_person("Ana Two", emails=["shared@example.org"])
    make_person("Bo Same", org="CPSO")
    make_person("bo same", org="CPSO")
    make_person("Bo Same", org="Other")
    make_person("Solo")
    html = committee.get("/directory/people").get_data(as_text=True)
    assert html.count("possible duplicate") == 4


def test_merge_moves_contacts_offices_stances_and_tags_and_is_audited(roster, committee, store, make_person):
    keep_id = make_person("Jane Doe", org="CPSO", emails=["jane@cpso.example"], tags=["regulator"])
    mpp = store.scalar(select(Person).join(ElectedOffice).where(ElectedOffice.current.is_(True)).limit(1))
    duplicate_id = mpp.id
    mpp.contacts.append(ContactPoint(kind="email", label="home", value="jane@cpso.example"))
    stances.add_stance(
        store, person=mpp, ask="pra", position="supportive", as_of=date(2026, 4, 1), source=None, note=None
    )
    mpp.tags = services.tags_named(store, ["mpp"])
    store.commit()
    contacts_before = len(mpp.contacts)
    html = committee.get(f"/directory/people/{keep_id}").get_data(as_text=True)
    assert "Possible duplicates" in html
    confirm = f"/directory/people/{keep_id}/merge?duplicate={duplicate_id}"
    assert f'href="{confirm}"' in html  # a link to a confirmation, not a form that merges
    html = committee.get(confirm).get_data(as_text=True)  # both records side by side; nothing merged yet
    assert "It cannot be undone." in html and "Jane Doe" in html and mpp.full_name in html
    assert "jane@cpso.example" in html and f"Merge {mpp.full_name} into Jane Doe" in html
    assert store.get(Person, duplicate_id) is not None
    response = committee.post(
        f"/directory/people/{keep_id}/merge",
        {"duplicate_id": str(duplicate_id)},
        page=f"/directory/people/{keep_id}",
        follow_redirects=True,
    )
    assert "The two records are merged" in response.get_data(as_text=True)
    store.expire_all()
    assert store.get(Person, duplicate_id) is None
    keep = store.get(Person, keep_id)
    assert len(keep.offices) == 1 and keep.offices[0].current
    assert [s.ask for s in keep.stances] == ["pra"]
    assert {t.name for t in keep.tags} == {"regulator", "mpp"}
    assert len(keep.contacts) == 1 + contacts_before - 1  # the shared email is kept once
    assert store.scalar(select(func.count()).select_from(Stance).where(Stance.person_id == duplicate_id)) == 0
    event = store.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
    assert event.entity_id == keep_id and event.changes["merged_id"] == duplicate_id
    assert event.changes["moved"]["elected_offices"] == 1 and event.changes["moved"]["stances"] == 1


def test_adding_someone_already_in_the_directory_says_so(committee, make_person):
    make_person("Ana One", emails=["shared@example.org"])
    html = committee.post(
        "/directory/people/new",
        {"full_name": "Ana Uno", "emails": "Shared@Example.org", "jurisdiction": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Ana Uno added, but Ana One may be the same person" in html and "Possible duplicates" in html
    html = committee.post(
        "/directory/people/new", {"full_name": "Bo Else", "jurisdiction": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Bo Else added." in html and "may be the same person" not in html


def test_a_person_cannot_be_merged_into_themselves(committee, make_person, store):
    person_id = make_person("Only Me")
    response = committee.post(
        f"/directory/people/{person_id}/merge",
        {"duplicate_id": str(person_id)},
        page=f"/directory/people/{person_id}",
        follow_redirects=True,
    )
    assert "Choose two different people" in response.get_data(as_text=True)
    assert store.get(Person, person_id) is not None


def test_merging_an_unknown_person_is_refused_politely(committee, make_person):
    person_id = make_person("Only Me")
    for duplicate in ("999999", str(person_id), "abc", ""):
        response = committee.get(f"/directory/people/{person_id}/merge?duplicate={duplicate}", follow_redirects=True)
        assert response.status_code == 200 and "Choose a listed duplicate" in response.get_data(as_text=True)
    response = committee.post(
        f"/directory/people/{person_id}/merge",
        {"duplicate_id": "999999"},
        page=f"/directory/people/{person_id}",
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Choose a listed duplicate" in response.get_data(as_text=True)
