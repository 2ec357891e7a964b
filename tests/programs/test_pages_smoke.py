"""Every program page renders for the people allowed to see it."""


def test_anonymous_visitor_sees_programs_and_upcoming_events_with_join_to_register(client, make_event):
    event_id = make_event()
    page = client.get("/programs/").get_data(as_text=True)
    for name in ("Cracking the CaRMS", "Besides the CaRMS", "Between the CaRMS", "Before the CaRMS"):
        assert name in page
    assert "Cracking the CaRMS: interview tips" in page
    assert "Join ITPO to register" in page
    event_page = client.get(f"/programs/events/{event_id}").get_data(as_text=True)
    assert "Join ITPO to register" in event_page
    assert "zoom.example" not in event_page
    assert client.get("/programs/cracking").status_code == 200


def test_staff_pages_render(browser, make_user, make_event):
    event_id = make_event()
    make_user("committee", email="c@example.org")
    browser.login("c@example.org")
    for url in (
        "/programs/manage",
        "/programs/manage/events/new",
        f"/programs/manage/events/{event_id}/edit",
        f"/programs/manage/events/{event_id}",
        "/programs/manage/speakers",
        "/programs/manage/resources",
        "/programs/report",
        f"/programs/events/{event_id}",
    ):
        response = browser.get(url)
        assert response.status_code == 200, url


def test_the_seed_creates_the_four_programs_once(app, runner):
    first = runner.invoke(args=["crm", "seed"])
    assert "programs: 4" in first.output
    assert "programs: 0" in runner.invoke(args=["crm", "seed"]).output
