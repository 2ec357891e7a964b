"""Toronto wall-clock times across daylight-saving changes, and hand-written RFC 5545 files."""

from datetime import datetime

import pytest

from crm.programs.calendar import NonexistentLocalTime, format_toronto, ics_event, toronto_to_utc


def test_seven_pm_in_toronto_is_midnight_utc_in_winter_and_eleven_pm_in_summer():
    assert toronto_to_utc(datetime(2026, 3, 7, 19, 0)) == datetime(2026, 3, 8, 0, 0)  # EST, the day before the change
    assert toronto_to_utc(datetime(2026, 3, 8, 19, 0)) == datetime(2026, 3, 8, 23, 0)  # EDT, the day of the change
    assert toronto_to_utc(datetime(2026, 10, 31, 19, 0)) == datetime(2026, 10, 31, 23, 0)
    assert toronto_to_utc(datetime(2026, 11, 1, 19, 0)) == datetime(2026, 11, 2, 0, 0)


def test_an_event_across_the_fall_back_night_lasts_its_real_length():
    starts = toronto_to_utc(datetime(2026, 11, 1, 0, 30))
    ends = toronto_to_utc(datetime(2026, 11, 1, 2, 30))
    assert (ends - starts).total_seconds() == 3 * 3600  # the clock shows 2 hours; 3 really pass


def test_a_time_in_the_spring_forward_gap_is_refused():
    with pytest.raises(NonexistentLocalTime, match="does not exist in Toronto"):
        toronto_to_utc(datetime(2026, 3, 8, 2, 30))


def test_times_are_shown_in_toronto_with_the_zone_in_force():
    assert format_toronto(datetime(2026, 3, 8, 0, 0)) == "Sat 7 Mar 2026, 7:00 pm EST"
    assert format_toronto(datetime(2026, 3, 8, 23, 0)) == "Sun 8 Mar 2026, 7:00 pm EDT"


def test_ics_text_is_escaped_folded_and_uses_crlf():
    body = ics_event(
        uid="event-1@itpo",
        title="Tips; tricks, and \\ more",
        description="Line one\nLine two " + "é" * 80,
        starts_at=datetime(2026, 3, 8, 23, 0),
        ends_at=datetime(2026, 3, 9, 0, 30),
        url="https://x.example/e/1",
        location=None,
        now=datetime(2026, 3, 1, 12, 0),
    )
    assert "\n" not in body.replace("\r\n", "")
    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Tips\\; tricks\\, and \\\\ more\r\n" in unfolded
    assert "DESCRIPTION:Line one\\nLine two " + "é" * 80 + "\r\n" in unfolded
    assert "DTSTART:20260308T230000Z\r\nDTEND:20260309T003000Z\r\n" in body
    assert "DTSTAMP:20260301T120000Z\r\n" in body


def test_times_are_shown_in_canadian_french_on_french_pages_and_emails(app):
    from crm.lib.i18n import in_language

    with app.test_request_context(), in_language("fr"):
        assert format_toronto(datetime(2026, 3, 8, 0, 0)) == "sam. 7 mars 2026, 19 h 00 HNE"
        assert format_toronto(datetime(2026, 3, 8, 23, 0), with_zone=False) == "dim. 8 mars 2026, 19 h 00"
    with app.test_request_context(), in_language("en"):
        assert format_toronto(datetime(2026, 3, 8, 23, 0)) == "Sun 8 Mar 2026, 7:00 pm EDT"
