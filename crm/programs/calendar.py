"""Toronto time for people, UTC for the database, and RFC 5545 calendar files written by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import has_app_context

from crm.lib.i18n import current_language

TORONTO = ZoneInfo("America/Toronto")


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped when clocks spring forward."""


def toronto_to_utc(local: datetime) -> datetime:
    """A naive Toronto wall-clock time → naive UTC. Refuses times that do not exist (the spring-forward gap);
    an ambiguous time (the fall-back hour) is taken as the first, daylight-saving one."""
    aware = local.replace(tzinfo=TORONTO, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(TORONTO).replace(tzinfo=None) != local:
        raise NonexistentLocalTime(
            f"{local:%Y-%m-%d %H:%M} does not exist in Toronto: clocks spring forward "
            "an hour that night. Choose another time."
        )
    return utc.replace(tzinfo=None)


def utc_to_toronto(utc: datetime) -> datetime:
    """Naive UTC → aware Toronto time."""
    return utc.replace(tzinfo=UTC).astimezone(TORONTO)


# Canadian French names Toronto's zones: heure avancée / normale de l'Est.
FRENCH_ZONES = {"EDT": "HAE", "EST": "HNE"}


def _in_french() -> bool:
    return has_app_context() and current_language() == "fr"


def format_toronto(utc: datetime | None, with_zone: bool = True) -> str:
    """'Tue 10 Mar 2026, 7:00 pm EDT' — how every page shows an event time; in French 'mar. 10 mars 2026,
    19 h 00 HAE' (Babel's fr_CA names, the 24-hour clock)."""
    if utc is None:
        return ""
    local = utc_to_toronto(utc)
    if _in_french():
        text = format_datetime(local, "EEE d MMM y, H 'h' mm", tzinfo=TORONTO, locale="fr_CA")
        zone = local.tzname() or ""
        return f"{text} {FRENCH_ZONES.get(zone, zone)}" if with_zone else text
    hour = local.hour % 12 or 12
    text = f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
    return f"{text} {local.tzname()}" if with_zone else text


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _stamp(utc: datetime) -> str:
    return utc.strftime("%Y%m%dT%H%M%SZ")


def ics_event(
    *,
    uid: str,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    url: str | None,
    location: str | None,
    now: datetime,
    cancelled: bool = False,
    sequence: int = 0,
) -> str:
    """One VEVENT in a VCALENDAR, times in UTC, CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ITPO//Advocacy CRM programs//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(starts_at)}",
        f"DTEND:{_stamp(ends_at)}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{_escape(title)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
