"""The directory pages: access, search and filters, detail pages, edits, stances, archive, query counts."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.stakeholders import directory, merge, services, stances
from crm.stakeholders.models import Person, Stance

DIRECTORY_PAGES = [
    "/directory/people",
    "/directory/organizations",
    "/directory/people/new",
    "/directory/organizations/new",
    "/directory/import",
    "/directory/people/export",
]


@pytest.mark.parametrize("url", DIRECTORY_PAGES)
def test_member_cannot_see_the_directory(staff, url):
    assert staff("member").get(url).status_code == 403


def test_member_cannot_see_a_person_page(staff, make_person):
    person_id = make_person("Dr Registrar")
    assert staff("member").get(f"/directory/people/{person_id}").status_code == 403


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/directory/people")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["committee", "lead", "admin"])
def test_staff_see_people_and_organizations(staff, role):
    browser = staff(role)
    assert browser.get("/directory/people").status_code == 200
    assert browser.get("/directory/organizations").status_code == 200


@pytest.mark.parametrize("role, status", [("committee", 403), ("lead", 403), ("admin", 200)])
def test_only_admins_refresh_the_roster(staff, role, status):
    assert staff(role).get("/directory/roster").status_code == status


def test_search_finds_mpp_by_riding_and_name(roster, committee):
    html = committee.get("/directory/people?q=Mushkegowuk").get_data(as_text=True)
    assert "Guy Bourgouin" in html and "1 person" in html
    html = committee.get("/directory/people?q=bourgouin").get_data(as_text=True)
    assert "Guy Bourgouin" in html


@pytest.mark.parametrize(
    "q",
    ["Mushkegowuk—James Bay", "mushkegowuk-james bay", "Mushkegowuk James Bay", "mushkegowuk – james", "gowuk -James"],
)
def test_a_riding_is_found_whether_its_dash_is_typed_as_a_hyphen_a_dash_or_a_space(roster, committee, q):
    html = committee.get("/directory/people", query_string={"q": q}).get_data(as_text=True)
    assert "Guy Bourgouin" in html and "1 person" in html


@pytest.mark.parametrize("q", ["St Catharines", "st. catharines"])
def test_a_riding_is_found_with_or_without_its_full_stops(roster, committee, q):
    html = committee.get("/directory/people", query_string={"q": q}).get_data(as_text=True)
    assert "Stevens" in html and "1 person" in html


def test_search_finds_by_email_and_organization(committee, make_person):
    make_person("Ana Registrar", org="College of Physicians", emails=["ana@cpso.example"])
    make_person("Bob Other", org="Someone Else")
    assert "Ana Registrar" in committee.get("/directory/people?q=ana@cpso").get_data(as_text=True)
    html = committee.get("/directory/people?q=college+of").get_data(as_text=True)
    assert "Ana Registrar" in html and "Bob Other" not in html


def _matches_by_hand(store, q: str) -> set[str]:
    """Names of the active people with `q` in their name, organization name or acronym, a contact or a riding."""
    q = q.lower()
    found = set()
    for person in store.scalars(select(Person).where(Person.archived.is_(False))):
        texts = [person.full_name] + [c.value for c in person.contacts]
        texts += [person.organization.name, person.organization.acronym or ""] if person.organization else []
        texts += [office.district.name for office in person.offices if office.district]
        if any(q in text.lower() for text in texts):
            found.add(person.full_name)
    return found


@pytest.mark.parametrize(
    "q, expected",
    [
        ("REGISTR", {"Ana Registrar"}),  # the middle of a name, in any case
        ("cpso.exa", {"Ana Registrar"}),  # part of an email
        ("surgeons of", {"Ana Registrar", "Carl Colleague"}),  # part of an organization's name
        ("cpso", {"Ana Registrar", "Carl Colleague"}),  # its acronym (and Ana's email: listed once)
        ("mushkegowuk", {"Guy Bourgouin"}),  # a riding
        ("ll", {"Carl Colleague"}),  # shorter than a trigram: still a plain substring match
    ],
)
def test_search_matches_a_substring_of_name_organization_email_or_riding(roster, store, make_person, q, expected):
    """Exactly the people a by-hand match finds, each once, on SQLite and PostgreSQL alike."""
    make_person("Ana Registrar", org="College of Physicians and Surgeons of Ontario", emails=["ana@cpso.example"])
    make_person("Carl Colleague", org="College of Physicians and Surgeons of Ontario")
    make_person("Bob Other", org="Someone Else", emails=["bob@elsewhere.example"])
    people = store.scalars(directory.people_query(directory.DirectoryFilters(q=q))).unique().all()
    names = [p.full_name for p in people]
    assert expected <= set(names) and "Bob Other" not in names
    assert sorted(names) == sorted(_matches_by_hand(store, q))


def test_search_keeps_up_with_every_way_people_and_contacts_change(store, make_person):
    """Renames, contact edits, an import's bulk rows, a merge that deletes the duplicate, and text that means
    something to a search engine (quotes, %, _, accents in any case): the search finds what a by-hand match
    finds. (On SQLite, searches of three or more characters read full-text tables that triggers keep.)"""
    from crm.stakeholders.files import read_table
    from crm.stakeholders.imports import import_stakeholders

    renamed = make_person("Olga Oldname", emails=["olga@first.example"])
    keep = make_person("Dana Keep", org="Delta Board", emails=["dana@delta.example"])
    duplicate = make_person("Dana Keep", emails=["dana.k@other.example", "dana@delta.example"])
    make_person('Seán "Ace" O\'Brien 50%_off', emails=["sean@ace.example"])
    make_person("Élise Ünal", emails=["ELISE@ÉCOLE.example"])
    person = store.get(Person, renamed)
    services.save_person(
        store,
        person,
        full_name="Olga Newname",
        title=None,
        organization_id=None,
        jurisdiction=None,
        notes=None,
        emails=[("home", "olga@second.example")],
        phones=[],
        tags=[],
    )
    report = import_stakeholders(
        store,
        read_table("sheet.csv", (b"name,email\nImported Iris,iris@bulk.example\nOlga Newname,olga@second.example\n")),
        apply=True,
    )
    assert report.errors == []
    merge.merge_people(store, store.get(Person, keep), store.get(Person, duplicate))
    store.commit()
    for q in (
        "oldname",
        "newname",
        "olga@first",
        "olga@second",
        "iris",
        "bulk.exam",
        "dana",
        "dana.k@",
        '"ace"',
        "o'brien",
        "50%_",
        "%_o",
        "élise",
        "ÉLISE",
        "ünal",
        "école",
        "@éc",
    ):
        names = [p.full_name for p in store.scalars(directory.people_query(directory.DirectoryFilters(q=q))).unique()]
        assert sorted(names) == sorted(_matches_by_hand(store, q)), q
    assert "Olga Newname" in _matches_by_hand(store, "newname") and not _matches_by_hand(store, "oldname")
    assert _matches_by_hand(store, "dana") == {"Dana Keep"}


def test_a_broad_search_is_counted_up_to_a_limit_and_says_so_unless_asked_to_count_all(
    committee, make_person, monkeypatch
):
    monkeypatch.setattr("crm.lib.pagination.COUNT_UP_TO", 3)
    for n in range(5):
        make_person(f"Kowalski {n}")
    make_person("Someone Else")
    html = committee.get("/directory/people?q=kowal&limit=2").get_data(as_text=True)
    assert "More than 3 people" in html and "count=all" in html and "Page 1 of more than 2" in html
    assert html.index("Kowalski 0") < html.index("Kowalski 1") and "Kowalski 2" not in html
    html = committee.get("/directory/people?q=kowal&limit=2&count=all").get_data(as_text=True)
    assert "5 people" in html and "More than" not in html and "Page 1 of 3" in html
    html = committee.get("/directory/people?q=kowal&limit=2&page=3").get_data(as_text=True)
    assert "5 people" in html and "Kowalski 4" in html and "Kowalski 3" not in html  # the last page counts exactly
    html = committee.get("/directory/people?q=kowal&limit=2&page=9").get_data(as_text=True)
    assert "5 people" in html and "Kowalski" not in html  # a page past the end says where the end is


@pytest.mark.parametrize("up_to", [3, 1000])
def test_sorting_by_organization_lists_each_organizations_people_then_those_with_none(
    committee, make_person, monkeypatch, count_queries, up_to
):
    """Every page, whether the list is counted to its end or only up to a limit, and across the step from the
    people with an organization to those with none; the export sorts the same way."""
    monkeypatch.setattr("crm.lib.pagination.COUNT_UP_TO", up_to)
    for name, org in [
        ("Zed Able", "Alpha College"),
        ("Amy Brown", "Beta Council"),
        ("Bea Cole", "Alpha College"),
        ("Al Free", None),
        ("Cy Dunn", "Beta Council"),
        ("Ann Loose", None),
    ]:
        make_person(name, org=org)
    expected = ["Bea Cole", "Zed Able", "Amy Brown", "Cy Dunn", "Al Free", "Ann Loose"]
    seen = []
    for page in (1, 2, 3):
        html = committee.get(f"/directory/people?sort=organization&limit=2&page={page}").get_data(as_text=True)
        on_page = sorted((name for name in expected if name in html), key=html.index)
        assert len(on_page) == 2, (page, on_page)
        seen += on_page
    assert seen == expected
    with count_queries() as first:
        committee.get("/directory/people?sort=organization&limit=2&page=1&count=all")
    with count_queries() as last:
        html = committee.get("/directory/people?sort=organization&limit=2&page=3&count=all").get_data(as_text=True)
    assert "6 people" in html and html.index("Al Free") < html.index("Ann Loose")

    def counts(queries):
        return sum("count(" in statement.lower() for statement in queries.statements)

    assert counts(last) == counts(first) == 2  # counting all and stepping past the first part: each part once
    csv = committee.get("/directory/people/export?sort=organization&format=csv").get_data(as_text=True)
    assert sorted(expected, key=csv.index) == expected


@pytest.mark.parametrize("sort, q", [("name", ""), ("-name", ""), ("name", "a"), ("-name", "a"), ("name", "o")])
def test_names_sort_ignoring_case_in_lists_searches_and_exports(committee, make_person, sort, q):
    """ "de Souza" sorts among the Ds, not after every capitalised name, on every page, searched or not."""
    for name in ["Zoe Adams", "van Dyk Anna", "Bob Mayo", "de Souza Ana", "Alan Ko", "eve Moss"]:
        make_person(name)
    expected = [
        name
        for name in ["Alan Ko", "Bob Mayo", "de Souza Ana", "eve Moss", "van Dyk Anna", "Zoe Adams"]
        if q.lower() in name.lower()
    ]
    if sort == "-name":
        expected.reverse()
    seen = []
    for page in (1, 2, 3):
        html = committee.get(f"/directory/people?sort={sort}&q={q}&limit=2&page={page}").get_data(as_text=True)
        seen += sorted((name for name in expected if name in html), key=html.index)
    assert seen == expected
    csv = committee.get(f"/directory/people/export?sort={sort}&q={q}&format=csv").get_data(as_text=True)
    assert sorted(expected, key=csv.index) == expected


def _postgresql_only(store, why):
    if store.get_bind().dialect.name != "postgresql":
        pytest.skip(f"SQLite's lower() folds ASCII only: {why} (PostgreSQL, the production database, does)")


def test_names_organizations_and_ridings_are_found_without_their_accents_on_postgresql(
    roster, store, committee, make_person
):
    _postgresql_only(
        store,
        "names, organizations and ridings keep their accents there (SQLite 3.45's trigram "
        "tokenizer could remove them from names)",
    )
    make_person("Émile Côté")
    make_person("Emily Cote")
    for q in ("cote", "Côté", "CÔTÉ", "emile", "Émile"):
        html = committee.get("/directory/people", query_string={"q": q}).get_data(as_text=True)
        assert "Émile Côté" in html, q
    picked = committee.get("/interactions/participants/search?q=cote").get_json()["items"]  # the picker
    assert any("Émile Côté" in item["label"] for item in picked)
    make_person("Jean Tremblay", org="Collège des médecins du Québec")
    for q in ("quebec", "medecins du", "Collège"):
        html = committee.get("/directory/people", query_string={"q": q}).get_data(as_text=True)
        assert "Jean Tremblay" in html, q
        html = committee.get("/directory/organizations", query_string={"q": q}).get_data(as_text=True)
        assert "Collège des médecins du Québec" in html, q
        picked = committee.get("/interactions/participants/search", query_string={"q": q}).get_json()["items"]
        assert any("Collège des médecins du Québec" in item["label"] for item in picked), q
    assert "Stephen Blais" in committee.get("/directory/people?q=orleans").get_data(as_text=True)  # Orléans


def test_names_sort_among_their_letters_whatever_their_accents_on_postgresql(store, committee, make_person):
    _postgresql_only(store, "an accented initial sorts after z there")
    for name in ["Zoë Adams", "Élodie Arsenault", "Emma Bell", "Eve Dunn", "Fay Ng", "Ørjan Berg", "Oscar Ito"]:
        make_person(name)
    html = committee.get("/directory/people?sort=name").get_data(as_text=True)
    expected = ["Élodie Arsenault", "Emma Bell", "Eve Dunn", "Fay Ng", "Ørjan Berg", "Oscar Ito", "Zoë Adams"]
    assert sorted(expected, key=html.index) == expected


@pytest.mark.parametrize("q", ["4165550101", "(416) 555-0101", "416.555.0101", "555 0101", "+1 416 555 0101"])
@pytest.mark.parametrize("stored", ["+1 (416) 555-0101", "416-555-0101"])
def test_a_phone_number_is_found_however_it_is_punctuated(committee, make_person, q, stored):
    make_person("Phoned Person", phones=[stored])
    make_person("Other Number", phones=["416-555-0199"])
    html = committee.get("/directory/people", query_string={"q": q}).get_data(as_text=True)
    assert "Phoned Person" in html and "Other Number" not in html, q


def test_search_treats_percent_and_underscore_literally(committee, make_person):
    make_person("Percy Plain")
    assert "0 people" in committee.get("/directory/people?q=%25").get_data(as_text=True)


def test_filters_by_party_tag_and_former_office(roster, committee, make_person):
    make_person("Tagged Ally", tags=["Health Committee"])
    html = committee.get("/directory/people?tag=health+committee").get_data(as_text=True)
    assert "Tagged Ally" in html and "1 person" in html
    html = committee.get("/directory/people?party=New+Democratic+Party+of+Ontario&status=current").get_data(
        as_text=True
    )
    assert "Guy Bourgouin" in html and "Tagged Ally" not in html
    assert "0 people" in committee.get("/directory/people?status=former").get_data(as_text=True)


def test_unknown_filter_values_are_ignored_not_errors(committee):
    response = committee.get("/directory/people?kind=nonsense&sort=evil&position=maybe&page=2")
    assert response.status_code == 200
    assert committee.get("/directory/people?page=abc").status_code == 400


def test_filter_by_current_stance_uses_the_newest_stance(store, committee, make_person):
    changed = store.get(Person, make_person("Changed Mind"))
    steady = store.get(Person, make_person("Steady Ally"))
    stances.add_stance(
        store, person=changed, ask="pra", position="supportive", as_of=date(2026, 1, 1), source="meeting", note=None
    )
    stances.add_stance(
        store, person=changed, ask="pra", position="opposed", as_of=date(2026, 6, 1), source="Hansard", note=None
    )
    stances.add_stance(
        store, person=steady, ask="pra", position="supportive", as_of=date(2026, 3, 1), source=None, note=None
    )
    store.commit()
    html = committee.get("/directory/people?ask=pra&position=supportive").get_data(as_text=True)
    assert "Steady Ally" in html and "Changed Mind" not in html
    html = committee.get("/directory/people?ask=pra&position=unknown").get_data(as_text=True)
    assert "Steady Ally" not in html and "Changed Mind" not in html


def test_a_stance_filter_with_any_ask_finds_that_newest_stance_on_any_of_the_three(store, committee, make_person):
    residency = store.get(Person, make_person("Residency Skeptic", org="Council of Doubt"))
    came_round = store.get(Person, make_person("Came Round"))
    everything = store.get(Person, make_person("All Three Supportive"))
    make_person("No Stance Yet")
    stances.add_stance(
        store, person=residency, ask="residency", position="opposed", as_of=date(2026, 2, 1), source=None, note=None
    )
    stances.add_stance(
        store,
        organization=residency.organization,
        ask="clinical_assistant",
        position="opposed",
        as_of=date(2026, 2, 1),
        source=None,
        note=None,
    )
    stances.add_stance(
        store, person=came_round, ask="pra", position="opposed", as_of=date(2026, 1, 1), source=None, note=None
    )
    for ask in ("pra", "residency", "clinical_assistant"):
        stances.add_stance(
            store, person=everything, ask=ask, position="supportive", as_of=date(2026, 3, 1), source=None, note=None
        )
        stances.add_stance(
            store, person=came_round, ask=ask, position="supportive", as_of=date(2026, 4, 1), source=None, note=None
        )
    store.commit()

    def listed(position, url="/directory/people"):
        html = committee.get(f"{url}?ask=&position={position}").get_data(as_text=True)
        names = (
            ["Council of Doubt"]
            if "organizations" in url
            else ["Residency Skeptic", "Came Round", "All Three Supportive", "No Stance Yet"]
        )
        return {name for name in names if name in html}

    assert listed("opposed") == {"Residency Skeptic"}  # Came Round's opposition is history
    assert listed("supportive") == {"Came Round", "All Three Supportive"}
    assert listed("unknown") == {"Residency Skeptic", "No Stance Yet"}  # unknown on at least one ask
    assert listed("opposed", "/directory/organizations") == {"Council of Doubt"}
    assert listed("supportive", "/directory/organizations") == set()


def test_committee_adds_a_person_with_labelled_contacts_and_tags(committee, store):
    response = committee.post(
        "/directory/people/new",
        {
            "full_name": "  Dr  Kim Lee ",
            "title": "Registrar",
            "jurisdiction": "ON",
            "emails": "office: Kim@Example.org\nkim.home@example.org",
            "phones": "mobile: 416-555-0100",
            "tags": "ally; Media ",
            "notes": "",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    person = store.scalar(select(Person).where(Person.full_name == "Dr Kim Lee"))
    assert sorted((c.kind, c.label, c.value) for c in person.contacts) == [
        ("email", "office", "kim@example.org"),
        ("email", "work", "kim.home@example.org"),
        ("phone", "mobile", "416-555-0100"),
    ]
    assert [t.name for t in person.tags] == ["ally", "media"]
    html = response.get_data(as_text=True)
    assert 'href="tel:416-555-0100"' in html and 'data-copy="kim@example.org"' in html


def test_the_organization_is_typed_or_picked_not_chosen_from_a_list_of_every_organization(
    committee, store, make_person
):
    medical = store.get(Person, make_person("Someone", org="Medical Council of Canada")).organization_id
    form = committee.get("/directory/people/new").get_data(as_text=True)
    assert "Medical Council of Canada" not in form and 'data-party-search="organization"' in form
    response = committee.post(
        "/directory/people/new",
        {"full_name": "Typed Org", "organization_name": "medical council of canada", "jurisdiction": ""},
    )
    assert response.status_code == 302
    typed = store.scalar(select(Person).where(Person.full_name == "Typed Org"))
    assert typed.organization_id == medical
    edit = committee.get(f"/directory/people/{typed.id}/edit").get_data(as_text=True)
    assert f'value="organization:{medical}"' in edit and 'value="Medical Council of Canada · ON"' in edit
    unknown = committee.post(
        "/directory/people/new", {"full_name": "Nobody's", "organization_name": "Acme Lobby", "jurisdiction": ""}
    )
    assert "No organization is called “Acme Lobby”" in unknown.get_data(as_text=True)
    assert store.scalar(select(Person).where(Person.full_name == "Nobody's")) is None


def test_bad_email_in_the_person_form_is_shown_on_the_field(committee):
    response = committee.post("/directory/people/new", {"full_name": "X", "emails": "not-an-email", "jurisdiction": ""})
    assert response.status_code == 200
    assert "is not an email address" in response.get_data(as_text=True)


def test_every_bad_email_and_phone_line_is_named_at_once(committee, store):
    html = committee.post(
        "/directory/people/new",
        {
            "full_name": "X",
            "jurisdiction": "",
            "emails": "ok@example.org\nnot-an-email\noffice: also bad",
            "phones": "mobile: none\n416-555-0100\nhome: n/a",
        },
    ).get_data(as_text=True)
    assert "Line 2: &#39;not-an-email&#39; is not an email address." in html
    assert "Line 3: &#39;also bad&#39; is not an email address." in html
    assert "Line 1: &#39;none&#39; does not look like a phone number." in html
    assert "Line 3: &#39;n/a&#39; does not look like a phone number." in html
    assert "ok@example.org" in html and store.scalar(select(Person).where(Person.full_name == "X")) is None


def test_person_page_has_a_timeline_area_and_stance_history(committee, store, make_person):
    person_id = make_person("History Keeper")
    for position, day in (("neutral", 1), ("supportive", 20)):
        response = committee.post(
            f"/directory/people/{person_id}/stances",
            {"ask": "residency", "position": position, "as_of": f"2026-05-{day:02d}", "source": "call", "note": ""},
            page=f"/directory/people/{person_id}",
        )
        assert response.status_code == 302
    html = committee.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert 'id="timeline"' in html
    assert "<strong>Supportive</strong>" in html and "History (2 entries)" in html
    assert store.scalar(select(db.func.count()).select_from(Stance)) == 2


@pytest.mark.parametrize("subject", ["people", "organizations"])
def test_a_stance_dated_in_the_future_is_refused_on_its_field_and_keeps_what_was_typed(
    committee, store, make_person, subject
):
    person_id = make_person("Future Teller", org="Tomorrow Council")
    subject_id = person_id if subject == "people" else store.get(Person, person_id).organization_id
    tomorrow = date.fromordinal(date.today().toordinal() + 2)
    response = committee.post(
        f"/directory/{subject}/{subject_id}/stances",
        {
            "ask": "pra",
            "position": "opposed",
            "as_of": tomorrow.isoformat(),
            "source": "a rumour",
            "note": "Said at the gala",
        },
        page=f"/directory/{subject}/{subject_id}",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That date is in the future." in html and 'aria-invalid="true"' in html
    assert "Said at the gala" in html and 'value="a rumour"' in html and "<details open>" in html
    assert store.scalar(select(db.func.count()).select_from(Stance)) == 0
    today = committee.post(
        f"/directory/{subject}/{subject_id}/stances",
        {
            "ask": "pra",
            "position": "opposed",
            "as_of": datetime.now(UTC).date().isoformat(),
            "source": "",
            "note": "",
        },
        page=f"/directory/{subject}/{subject_id}",
    )
    assert today.status_code == 302 and store.scalar(select(db.func.count()).select_from(Stance)) == 1


def test_a_stance_dated_before_1990_is_refused_as_a_typing_mistake(committee, make_person):
    person_id = make_person("Long Ago")
    html = committee.post(
        f"/directory/people/{person_id}/stances",
        {"ask": "pra", "position": "opposed", "as_of": "1800-01-01", "source": "", "note": ""},
        page=f"/directory/people/{person_id}",
    ).get_data(as_text=True)
    assert "Enter a date from 1990 on" in html


def test_same_named_organizations_are_told_apart_by_province_in_the_picker(committee, store):
    for code in ("ON", "BC"):
        services.save_organization(
            store,
            None,
            name="Ministry of Health",
            acronym=None,
            kind="government_ministry",
            jurisdiction=code,
            website=None,
            notes=None,
        )
    store.commit()
    labels = sorted(
        item["label"]
        for item in committee.get(
            "/interactions/participants/search?q=ministry%20of%20health&types=organization"
        ).get_json()["items"]
    )
    assert labels == ["Ministry of Health · BC", "Ministry of Health · ON"]
    refused = committee.post(
        "/directory/people/new", {"full_name": "Typed", "organization_name": "Ministry of Health", "jurisdiction": ""}
    ).get_data(as_text=True)
    assert "could be 2 different parties" in refused
    chosen = committee.post(
        "/directory/people/new",
        {"full_name": "Typed", "jurisdiction": "", "organization_name": "Ministry of Health · BC"},
    )
    assert chosen.status_code == 302
    typed = store.scalar(select(Person).where(Person.full_name == "Typed"))
    assert typed.organization.jurisdiction.code == "BC"
    assert '<option selected value="other">' in committee.get("/directory/organizations/new").get_data(as_text=True)


def test_organization_page_lists_people_and_records_a_stance(committee, store, make_person):
    organization_id = store.get(Person, make_person("Reg One", org="Medical Council")).organization_id
    html = committee.get(f"/directory/organizations/{organization_id}").get_data(as_text=True)
    assert "Reg One" in html and 'id="timeline"' in html
    committee.post(
        f"/directory/organizations/{organization_id}/stances",
        {"ask": "clinical_assistant", "position": "opposed", "as_of": "2026-02-02", "source": "", "note": ""},
        page=f"/directory/organizations/{organization_id}",
    )
    html = committee.get("/directory/organizations?ask=clinical_assistant&position=opposed").get_data(as_text=True)
    assert "Medical Council" in html


def test_archived_people_drop_out_of_lists_but_keep_their_page(committee, make_person):
    person_id = make_person("Old Contact", org="Gamma Institute", emails=["old@gamma.example"])
    response = committee.post(
        f"/directory/people/{person_id}/archive",
        {"archived": "1"},
        page=f"/directory/people/{person_id}",
        follow_redirects=True,
    )
    assert "Old Contact archived." in response.get_data(as_text=True)
    assert "0 people" in committee.get("/directory/people").get_data(as_text=True)
    for q in ("Old Cont", "Gamma Inst", "old@gamma", "ol"):  # nor found by any arm of a search, short or long
        assert "0 people" in committee.get(f"/directory/people?q={q}").get_data(as_text=True), q
    html = committee.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert "archived" in html and "Restore" in html


def test_edits_are_audited(committee, store, make_person):
    person_id = make_person("Audit Me")
    committee.post(
        f"/directory/people/{person_id}/edit",
        {
            "full_name": "Audit Me",
            "title": "Deputy Minister",
            "jurisdiction": "",
            "emails": "",
            "phones": "",
            "tags": "",
            "notes": "",
        },
    )
    event_ = store.scalar(select(AuditEvent).where(AuditEvent.entity_type == "people", AuditEvent.action == "update"))
    assert event_.changes["title"] == [None, "Deputy Minister"] and event_.actor_id == committee.user_id
    created = store.scalar(select(AuditEvent).where(AuditEvent.entity_type == "people", AuditEvent.action == "create"))
    assert created.changes["full_name"] == [None, "Audit Me"]
    assert "search_name" not in created.changes  # the database's lowercased copy of the name is not an edit


def test_organization_create_and_edit(committee):
    response = committee.post(
        "/directory/organizations/new",
        {
            "name": "Ontario Ministry of Health",
            "acronym": "MOH",
            "kind": "government_ministry",
            "jurisdiction": "ON",
            "website": "https://www.ontario.ca/health",
            "notes": "",
        },
        follow_redirects=True,
    )
    assert "Ontario Ministry of Health (MOH)" in response.get_data(as_text=True)
    response = committee.post("/directory/organizations/new", {"name": "Bad", "kind": "bogus", "jurisdiction": ""})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_a_second_organization_of_the_same_name_and_jurisdiction_is_refused(committee, store):
    from crm.stakeholders.models import Organization

    def add(name, jurisdiction, website=""):
        return committee.post(
            "/directory/organizations/new",
            {
                "name": name,
                "acronym": "",
                "kind": "government_ministry",
                "jurisdiction": jurisdiction,
                "website": website,
                "notes": "",
            },
        )

    assert add("Ministry of Health", "ON", "www.ontario.ca/health").status_code == 302
    first = store.scalar(select(Organization).where(Organization.name == "Ministry of Health"))
    assert first.website == "https://www.ontario.ca/health"  # typed without https://
    html = add("  ministry of  HEALTH ", "ON").get_data(as_text=True)
    assert f"Ministry of Health (Ontario) is already in the directory (organization #{first.id})" in html
    assert 'aria-invalid="true"' in html
    assert add("Ministry of Health", "BC").status_code == 302  # another province's: fine
    edit = committee.post(
        f"/directory/organizations/{first.id}/edit",
        {
            "name": "Ministry of Health",
            "acronym": "MOH",
            "kind": "government_ministry",
            "jurisdiction": "ON",
            "website": "",
            "notes": "",
        },
    )
    assert edit.status_code == 302  # saving it under its own name is no duplicate
    assert (
        store.scalar(
            select(db.func.count()).select_from(Organization).where(Organization.name.ilike("ministry of health"))
        )
        == 2
    )
    assert "Enter a web address such as" in add("Bad Site", "", "not a site").get_data(as_text=True)


@pytest.mark.parametrize(
    "q, found",
    [
        ("college physicians ontario", True),
        ("ONTARIO surgeons", True),
        ("CPSO college", True),
        ("college physicians quebec", False),
    ],
)
def test_an_organization_is_found_by_its_words_in_any_order(roster, committee, q, found):
    html = committee.get("/directory/organizations", query_string={"q": q}).get_data(as_text=True)
    assert ("College of Physicians and Surgeons of Ontario" in html) is found


def test_a_pair_of_organizations_already_alike_can_still_be_edited(committee, store):
    from crm.stakeholders.models import Organization

    twins = [Organization(name="Twin Board", kind="ally") for _ in range(2)]  # from before the check existed
    store.add_all(twins)
    store.commit()
    response = committee.post(
        f"/directory/organizations/{twins[0].id}/edit",
        {"name": "Twin Board", "acronym": "", "kind": "ally", "jurisdiction": "", "website": "", "notes": "edited"},
    )
    assert response.status_code == 302


def test_a_name_that_folding_lengthens_is_saved_and_found(committee, store, make_person):
    make_person("ß" * 100)  # "ss" × 100 once folded on PostgreSQL: longer than the name's 160 characters
    assert "1 person" in committee.get("/directory/people", query_string={"q": "ßß"}).get_data(as_text=True)


def test_a_typed_label_with_its_province_picks_that_organization_among_many(committee, store):
    from crm.reference.models import Jurisdiction
    from crm.stakeholders.models import Organization

    for jurisdiction in store.scalars(select(Jurisdiction)):
        store.add(Organization(name="Ministry of Health", kind="government_ministry", jurisdiction=jurisdiction))
    store.commit()
    response = committee.post(
        "/directory/people/new",
        {"full_name": "Picked", "jurisdiction": "", "organization_name": "Ministry of Health · BC"},
    )
    assert response.status_code == 302
    assert store.scalar(select(Person).where(Person.full_name == "Picked")).organization.jurisdiction.code == "BC"


def test_an_empty_list_says_why(committee, make_person):
    assert "Nothing here yet." in committee.get("/directory/people").get_data(as_text=True)
    make_person("Only One")
    html = committee.get("/directory/people?q=zzz&kind=&party=").get_data(as_text=True)
    assert "No one matches. Try another search or fewer filters." in html
    html = committee.get("/directory/people?page=99").get_data(as_text=True)
    assert "There is no page 99: this list has 1." in html and "Go to the first page" in html
    assert "No organization matches." in committee.get("/directory/organizations?q=zzz").get_data(as_text=True)


def test_stance_history_names_the_position_and_who_recorded_it(committee, store, make_person):
    person_id = make_person("Heard From")
    for position, day in (("neutral", "01"), ("supportive", "02")):
        committee.post(
            f"/directory/people/{person_id}/stances",
            {"ask": "pra", "position": position, "as_of": f"2026-03-{day}", "source": "call", "note": ""},
            page=f"/directory/people/{person_id}",
        )
    html = committee.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert ": Neutral (call)" in html and ": Supportive (call)" in html  # the history, in words
    assert html.count("recorded by Committee") == 5  # the current stance, its history and the timeline: 1 + 2 + 2


def _count_queries(app, fetch):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        response = fetch()
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def _add_people(session, start, count):
    """People, each with an organization of their own, contacts, tags and stances on both."""
    for n in range(start, start + count):
        organization = services.save_organization(
            session, None, name=f"Org {n:03d}", acronym=None, kind="ally", jurisdiction="ON", website=None, notes=None
        )
        stances.add_stance(
            session,
            organization=organization,
            ask="residency",
            position="neutral",
            as_of=date(2026, 1, 1),
            source=None,
            note=None,
        )
        person = services.save_person(
            session,
            None,
            full_name=f"Person {n:03d}",
            title="Advisor",
            organization_id=organization.id,
            jurisdiction="ON",
            notes=None,
            emails=[("work", f"p{n}@example.org")],
            phones=[("work", "416-555-0100")],
            tags=["ally", f"t{n % 3}"],
        )
        stances.add_stance(
            session, person=person, ask="pra", position="supportive", as_of=date(2026, 1, 1), source=None, note=None
        )
    session.commit()


@pytest.mark.parametrize("url", ["/directory/people", "/directory/organizations", "/directory/people?q=person"])
def test_list_pages_run_a_constant_number_of_queries(app, roster, store, committee, url):
    _add_people(store, 0, 3)
    few = _count_queries(app, lambda: committee.get(url))
    _add_people(store, 3, 40)
    many = _count_queries(app, lambda: committee.get(url))
    assert few == many


def test_a_french_lead_reads_the_stance_timeline_in_french(committee, store, make_person):
    person_id = make_person("Entendue")
    committee.post(
        f"/directory/people/{person_id}/stances",
        {"ask": "pra", "position": "supportive", "as_of": "2026-03-02", "source": "call", "note": ""},
        page=f"/directory/people/{person_id}",
    )
    committee.client.set_cookie("lang", "fr")
    html = committee.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert "Position sur « " in html and "(au 2026-03-02), consignée par Committee" in html
    assert "Stance on" not in html
