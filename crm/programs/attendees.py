"""Who attended program events: marked by hand, or imported from the platform's list of emails."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.lib.errors import ValidationError
from crm.programs.models import Attendance, Registration


def set_attendance(session: Session, event_id: int, attended_user_ids: set[int], marked_by_id: int | None) -> int:
    """Make the event's attendance exactly the given registrants (manual marking). Returns how many attended."""
    registrants = set(session.scalars(select(Registration.user_id).where(Registration.event_id == event_id)))
    unknown = set(attended_user_ids) - registrants
    if unknown:
        raise ValidationError(
            None,
            gettext(
                "Only people registered for this event can be marked here; "
                "import the platform's attendee list for anyone else."
            ),
        )
    current = set(session.scalars(select(Attendance.user_id).where(Attendance.event_id == event_id)))
    session.execute(
        delete(Attendance).where(
            Attendance.event_id == event_id, Attendance.user_id.in_(registrants - set(attended_user_ids))
        )
    )
    for user_id in set(attended_user_ids) - current:
        session.add(Attendance(event_id=event_id, user_id=user_id, source="manual", marked_by_id=marked_by_id))
    session.flush()
    return len(attended_user_ids)


@dataclass
class AttendeeImport:
    """What an attendee file did: who was marked, who already was, and emails no member has."""

    marked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _emails_from_csv(data: bytes) -> list[str]:
    """The email column of a webinar platform's attendee export (the header row may follow a preamble)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "file", gettext("The file is not UTF-8 text. Export it as CSV (UTF-8) and try again.")
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise ValidationError("file", gettext("The file is not a readable CSV file.")) from None
    for index, row in enumerate(rows):
        headers = [cell.strip().lower() for cell in row]
        column = next((i for i, header in enumerate(headers) if "email" in header), None)
        if column is not None:
            emails = []
            for later in rows[index + 1 :]:
                value = later[column].strip().lower() if column < len(later) else ""
                if value and value not in emails:
                    emails.append(value)
            return emails
    raise ValidationError("file", gettext("No column named 'Email' was found. Export the attendee report with emails."))


def import_attendance(session: Session, event_id: int, data: bytes, marked_by_id: int | None) -> AttendeeImport:
    """Mark everyone in the file whose email belongs to an account; report the others.

    Either every known attendee is marked or (on any error) none is: the caller commits once.
    """
    emails = _emails_from_csv(data)
    if not emails:
        raise ValidationError("file", gettext("The file lists no attendees."))
    users = dict(
        session.execute(select(func.lower(User.email), User.id).where(func.lower(User.email).in_(emails))).all()
    )
    current = set(session.scalars(select(Attendance.user_id).where(Attendance.event_id == event_id)))
    report = AttendeeImport()
    for email in emails:
        user_id = users.get(email)
        if user_id is None:
            report.unknown.append(email)
        elif user_id in current:
            report.already.append(email)
        else:
            session.add(Attendance(event_id=event_id, user_id=user_id, source="import", marked_by_id=marked_by_id))
            current.add(user_id)
            report.marked.append(email)
    session.flush()
    return report
