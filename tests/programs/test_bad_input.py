"""Hostile values in every program form field answer with a page or a 4xx, never a 500."""
from tests.test_bad_input import NASTY

FIELDS = ("program_id", "title", "description", "starts_at", "ends_at", "capacity", "status", "join_url", "route",
          "topic", "consent_featured", "decision", "offer_id", "attended", "url", "stages")


def _walk(browser, urls):
    for url in urls:
        token = browser.token(url.rsplit("/", 1)[0] if url.endswith(("/register", "/cancel")) else "/home")
        for value in NASTY:
            data = {name: value for name in FIELDS}
            response = browser.client.post(url, data={**data, "csrf_token": token})
            assert response.status_code < 500, (url, repr(value)[:40], response.status_code)


def test_program_forms_survive_hostile_values_from_staff(browser, make_user, make_event):
    event_id = make_event()
    make_user("admin", email="a@example.org")
    browser.login("a@example.org")
    _walk(browser, ["/programs/manage/events/new", f"/programs/manage/events/{event_id}/edit",
                    f"/programs/manage/events/{event_id}", f"/programs/manage/events/{event_id}/import",
                    f"/programs/manage/events/{event_id}/speakers", "/programs/manage/resources",
                    "/programs/manage/speakers/1/review"])


def test_program_forms_survive_hostile_values_from_members(browser, make_user, make_event):
    event_id = make_event()
    make_user("member", email="m@example.org")
    browser.login("m@example.org")
    _walk(browser, ["/programs/speak", f"/programs/events/{event_id}/register", f"/programs/events/{event_id}/cancel"])
