"""Filtering, exporting, social posts and stakeholder timelines; queries per page stay constant."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.interactions.timeline import timeline_for
from tests.interactions.conftest import add_interaction

NOW = datetime.now().replace(second=0, microsecond=0)


@pytest.fixture
def history(app, stakeholders, committee):
    """Four interactions over a month: with CPSO's registrar, CPSO, MCC, and a social post."""
    from crm.reference.models import Jurisdiction

    with app.app_context():
        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    ids = {
        "registrar": add_interaction(
            app,
            occurred_at=NOW - timedelta(days=30),
            person_ids=[stakeholders.registrar],
            title="Lunch with the registrar",
            hashtags="#pra",
            jurisdiction_id=ontario,
        ),
        "cpso": add_interaction(
            app,
            occurred_at=NOW - timedelta(days=10),
            organization_ids=[stakeholders.cpso],
            user_ids=[committee.id],
            title="CPSO board meeting",
            kind="event",
            hashtags="#mppchats",
        ),
        "mcc": add_interaction(
            app,
            occurred_at=NOW - timedelta(days=2),
            organization_ids=[stakeholders.mcc],
            title='=HYPERLINK("http://evil")',
            kind="call",
        ),
        "post": add_interaction(
            app,
            occurred_at=NOW - timedelta(days=1),
            kind="social_post",
            hashtags="#skillstohelp",
            title="LinkedIn post by Priya",
        ),
    }
    return ids


def _titles(browser, query=""):
    html = browser.get("/interactions/" + query).get_data(as_text=True)
    return [
        t
        for t in ("Lunch with the registrar", "CPSO board meeting", "HYPERLINK", "LinkedIn post by Priya")
        if t in html
    ]


def test_the_list_filters_by_kind_hashtag_jurisdiction_stakeholder_participant_and_dates(
    browser, history, stakeholders, committee, app
):
    assert _titles(browser) == ["Lunch with the registrar", "CPSO board meeting", "HYPERLINK", "LinkedIn post by Priya"]
    assert _titles(browser, "?kind=call") == ["HYPERLINK"]
    assert _titles(browser, "?hashtag=MPPchats") == ["CPSO board meeting"]
    assert _titles(browser, "?hashtag=%23skillstohelp") == ["LinkedIn post by Priya"]
    with app.app_context():
        from crm.reference.models import Jurisdiction

        ontario = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    assert _titles(browser, f"?jurisdiction_id={ontario}") == ["Lunch with the registrar"]
    # An organization's interactions include those with its people.
    assert _titles(browser, f"?stakeholder=organization:{stakeholders.cpso}") == [
        "Lunch with the registrar",
        "CPSO board meeting",
    ]
    assert _titles(browser, f"?stakeholder=person:{stakeholders.registrar}") == ["Lunch with the registrar"]
    assert _titles(browser, f"?participant={committee.id}") == ["CPSO board meeting"]
    since = (NOW - timedelta(days=3)).date().isoformat()
    until = (NOW - timedelta(days=2)).date().isoformat()
    assert _titles(browser, f"?date_from={since}&date_to={until}") == ["HYPERLINK"]
    assert browser.get("/interactions/?date_from=not-a-date&stakeholder=junk&page=-3").status_code == 200


def test_a_party_filter_lists_each_interaction_once_newest_first_and_counts_it_once(app, stakeholders, committee):
    """Stakeholder and participant filters page through the party's own rows; the result is the same as
    filtering every interaction, even where the party took part twice (an organization and one of its people;
    a merged person)."""
    from crm.interactions.lists import InteractionFilters, interactions_page
    from crm.interactions.models import Participant

    cpso, registrar, user = stakeholders.cpso, stakeholders.registrar, committee.id
    both = add_interaction(
        app,
        occurred_at=NOW - timedelta(days=3),
        organization_ids=[cpso],
        person_ids=[registrar],
        user_ids=[user],
        title="both",
    )
    older = add_interaction(app, occurred_at=NOW - timedelta(days=5), organization_ids=[cpso], kind="call")
    newer = add_interaction(app, occurred_at=NOW - timedelta(days=1), person_ids=[registrar], user_ids=[user])
    add_interaction(
        app, occurred_at=NOW - timedelta(days=2), organization_ids=[stakeholders.mcc], user_ids=[user], kind="call"
    )
    with app.app_context():
        db.session.add(
            Participant(
                interaction_id=both,
                person_id=registrar,
                side="stakeholder",
                role="target",
                occurred_at=NOW - timedelta(days=3),
            )
        )
        db.session.commit()
        for filters, expected in [
            (InteractionFilters(stakeholder=f"organization:{cpso}"), [newer, both, older]),
            (InteractionFilters(stakeholder=f"person:{registrar}"), [newer, both]),
            (InteractionFilters(participant_user_id=user, kind="meeting"), [newer, both]),
            (InteractionFilters(stakeholder=f"organization:{cpso}", kind="call"), [older]),
            (InteractionFilters(stakeholder=f"organization:{cpso}", participant_user_id=user), [newer, both]),
        ]:
            first = interactions_page(db.session, filters, limit=2, offset=0)
            rest = interactions_page(db.session, filters, limit=2, offset=2)
            assert [i.id for i in first.items + rest.items] == expected, filters
            assert first.total == rest.total == len(expected), filters
        db.session.remove()


def test_a_long_list_is_counted_up_to_a_limit_and_says_so_unless_asked_to_count_all(
    app, browser, committee, stakeholders, monkeypatch
):
    from crm.interactions import lists

    monkeypatch.setattr(lists, "COUNT_UP_TO", 3)
    for day in range(5):
        add_interaction(
            app, occurred_at=NOW - timedelta(days=day + 1), organization_ids=[stakeholders.cpso], title=f"Meeting {day}"
        )
    html = browser.get("/interactions/?limit=2").get_data(as_text=True)
    assert "More than 3 interactions" in html and "count=all" in html and "Page 1 of more than 2" in html
    html = browser.get("/interactions/?limit=2&count=all").get_data(as_text=True)
    assert "5 interactions" in html and "More than" not in html and "Page 1 of 3" in html
    with app.app_context():
        filters = lists.InteractionFilters(stakeholder=f"organization:{stakeholders.cpso}")
        # Beyond the limit, the page counts to its own end: the next page is still offered, and the last is exact.
        deep = lists.interactions_page(db.session, filters, limit=2, offset=2)
        assert (deep.total, deep.more, deep.has_next) == (4, True, True)
        last = lists.interactions_page(db.session, filters, limit=2, offset=4)
        assert (last.total, last.more, last.has_next, [i.title for i in last.items]) == (5, False, False, ["Meeting 4"])
        db.session.remove()


def test_the_newest_interaction_comes_first(browser, history):
    html = browser.get("/interactions/").get_data(as_text=True)
    assert html.index("LinkedIn post by Priya") < html.index("HYPERLINK") < html.index("CPSO board meeting")


def test_csv_export_follows_the_filters_and_neutralises_formulas(browser, history):
    response = browser.get("/interactions/export.csv?kind=call")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["stakeholders"] == "Medical Council of Canada (MCC) (Attendee)"


def test_xlsx_export_opens_in_a_spreadsheet_with_safe_cells(browser, history):
    from openpyxl import load_workbook

    response = browser.get("/interactions/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    titles = [row[header.index("title")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil")' in titles and len(titles) == 4
    assert all(not (isinstance(t, str) and t.startswith("=")) for t in titles)
    assert browser.get("/interactions/export.pdf").status_code == 404


def test_an_organization_timeline_shows_everything_with_it_and_its_people_newest_first(
    browser, history, app, stakeholders
):
    html = browser.get(f"/interactions/timeline/organization/{stakeholders.cpso}").get_data(as_text=True)
    assert "2 entries" in html
    assert html.index("CPSO board meeting") < html.index("Lunch with the registrar")
    assert "HYPERLINK" not in html
    person = browser.get(f"/interactions/timeline/person/{stakeholders.registrar}").get_data(as_text=True)
    assert "Lunch with the registrar" in person and "CPSO board meeting" not in person
    assert browser.get("/interactions/timeline/person/999999").status_code == 404


def test_the_timeline_service_pages_newest_first(app, stakeholders):
    for day in range(7):
        add_interaction(app, occurred_at=NOW - timedelta(days=day), person_ids=[stakeholders.mpp], title=f"day {day}")
    with app.app_context():
        first = timeline_for(db.session, person_id=stakeholders.mpp, limit=3, offset=0)
        last = timeline_for(db.session, person_id=stakeholders.mpp, limit=3, offset=6)
        assert first.total == 7 and [e.title for e in first.items] == ["day 0", "day 1", "day 2"]
        assert [e.title for e in last.items] == ["day 6"] and not last.has_next
        newest = first.items[0]
        assert newest.kind == "interaction" and newest.url.endswith(f"/interactions/{newest.item.id}")
        with pytest.raises(ValueError):
            timeline_for(db.session, person_id=1, organization_id=1)


def test_the_timeline_include_renders_a_page(app, stakeholders):
    """The lead embeds `interactions/_timeline.html` in the directory's detail pages."""
    from flask import render_template

    add_interaction(app, occurred_at=NOW, organization_ids=[stakeholders.mcc], title="Exam fees call")
    with app.test_request_context():
        page = timeline_for(db.session, organization_id=stakeholders.mcc)
        html = render_template(
            "interactions/_timeline.html",
            page=page,
            timeline_endpoint="interactions.organization_timeline",
            timeline_args={"organization_id": stakeholders.mcc},
        )
    assert "Exam fees call" in html and "1 entry" in html


def test_social_posts_are_logged_and_filtered_by_hashtag(app, browser, committee):
    page = "/interactions/posts/new"
    response = browser.post(
        page,
        {
            "platform": "linkedin",
            "url": "https://www.linkedin.com/posts/x",
            "occurred_on": NOW.date().isoformat(),
            "posted_by": "Priya R.",
            "hashtags": "#skillstohelp",
            "reach": "1200",
            "summary": "Why ITPs",
        },
        follow_redirects=True,
    )
    assert "Post logged." in response.get_data(as_text=True)
    browser.post(
        page,
        {
            "platform": "x",
            "url": "https://x.com/itpo/1",
            "occurred_on": NOW.date().isoformat(),
            "posted_by": "ITPO",
            "hashtags": "#mppchats",
        },
    )
    skills = browser.get("/interactions/posts?hashtag=skillstohelp").get_data(as_text=True)
    assert "LinkedIn post by Priya R." in skills and "1,200" in skills and "X (Twitter) post by ITPO" not in skills
    everything = browser.get("/interactions/posts").get_data(as_text=True)
    assert "2 posts" in everything
    bad = browser.post(
        page,
        {"platform": "x", "url": "javascript:alert(1)", "occurred_on": "2026-01-01", "posted_by": "x", "reach": "-5"},
    )
    assert "Enter a full link" in bad.get_data(as_text=True) and "0 or more" in bad.get_data(as_text=True)


def _grow(app, stakeholders, committee, count):
    for i in range(count):
        add_interaction(
            app,
            occurred_at=NOW - timedelta(hours=i + 1),
            organization_ids=[stakeholders.cpso],
            person_ids=[stakeholders.registrar],
            user_ids=[committee.id],
            hashtags="#pra #mppchats",
            title=f"grown {i}",
        )


@pytest.mark.parametrize(
    "url",
    [
        "/interactions/?hashtag=pra",
        "/interactions/timeline/organization/{cpso}",
        "/interactions/timeline/person/{registrar}",
        "/interactions/posts",
    ],
)
def test_queries_per_page_stay_constant_as_rows_grow(app, browser, committee, stakeholders, count_queries, url):
    url = url.format(cpso=stakeholders.cpso, registrar=stakeholders.registrar)
    _grow(app, stakeholders, committee, 2)
    browser.get(url)
    with count_queries() as few:
        assert browser.get(url).status_code == 200
    _grow(app, stakeholders, committee, 12)
    with count_queries() as many:
        assert browser.get(url).status_code == 200
    assert many.count == few.count, many.statements
