"""Segments: who a mailing may reach, as one SQL query over users and member profiles.

Whatever the filters, the query leaves out members whose newest answer to the ITPO-email question is not a
yes (CASL), unsubscribed and failing addresses, unconfirmed and inactive accounts, and non-members.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from flask_babel import gettext
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from crm.auth.models import User
from crm.campaigns.models import Letter
from crm.lib.errors import ValidationError
from crm.lib.i18n import normalise
from crm.lib.sql import in_ids
from crm.members.models import LICENSURE_STAGES, ConsentRecord, MemberProfile
from crm.members.services import EMAIL_PURPOSE
from crm.outbox.models import AddressHealth, Suppression
from crm.programs.models import Attendance, Event, Registration
from crm.reference.models import ElectoralDistrict

# Filter name → kind of value; every filter is optional.
LIST_FILTERS = (
    "district_ids",
    "licensure_stages",
    "training_countries",
    "specialties",
    "programs_registered",
    "programs_attended",
)
ID_FILTERS = ("wrote_in", "not_wrote_in")
DATE_FILTERS = ("joined_from", "joined_to")
CHUNK = 5000
ID_BATCH = 10_000  # ids a mailing reads from its server-side cursor at a time


def clean_filters(raw: dict) -> dict:
    """The filters in their stored shape (empty ones dropped); raises ValidationError for values of the wrong kind."""
    filters: dict = {}
    province = (raw.get("province") or "").strip().upper()
    if province:
        if len(province) != 2 or not province.isalpha():
            raise ValidationError("province", gettext("Choose a province from the list."))
        filters["province"] = province
    for name in LIST_FILTERS:
        values = _clean_list(name, [value for value in (raw.get(name) or []) if value not in (None, "")])
        if values:
            filters[name] = values
    for name in ID_FILTERS:
        value = raw.get(name)
        if value not in (None, ""):
            if not (isinstance(value, int) or str(value).isdigit()):
                raise ValidationError(name, gettext("Choose a campaign from the list."))
            filters[name] = int(value)
    filters |= _clean_dates(raw)
    return filters


def _clean_dates(raw: dict) -> dict:
    """The joining dates given, as ISO strings; an end before the start is refused."""
    dates = {}
    for name in DATE_FILTERS:
        value = raw.get(name)
        if value:
            dates[name] = value.isoformat() if isinstance(value, date) else date.fromisoformat(str(value)).isoformat()
    if dates.get("joined_from") and dates.get("joined_to") and dates["joined_to"] < dates["joined_from"]:
        raise ValidationError("joined_to", gettext("The end of the joining dates is before its start."))
    return dates


def _clean_list(name: str, values: list) -> list:
    """A list filter's values, sorted and without repeats: ids, stage codes, or short lower-cased words."""
    if name in ("district_ids", "programs_registered", "programs_attended"):
        if not all(isinstance(value, int) or str(value).isdigit() for value in values):
            raise ValidationError(name, gettext("Choose from the list."))
        return sorted({int(value) for value in values})
    if name == "licensure_stages":
        if not set(values) <= dict(LICENSURE_STAGES).keys():
            raise ValidationError(name, gettext("Choose licensure stages from the list."))
        return sorted(set(values))
    return sorted({str(value).strip().lower()[:80] for value in values if str(value).strip()})


def consents_to_email():
    """The user's newest answer to the ITPO-email question is yes (the newest record wins, so an unsubscribe,
    recorded as a "no", takes effect at once)."""
    newer = aliased(ConsentRecord)
    return exists().where(
        ConsentRecord.user_id == User.id,
        ConsentRecord.purpose == EMAIL_PURPOSE,
        ConsentRecord.granted.is_(True),
        ~exists().where(
            newer.user_id == ConsentRecord.user_id, newer.purpose == EMAIL_PURPOSE, newer.id > ConsentRecord.id
        ),
    )


def _reachable():
    """The conditions every segment adds: a member who said yes to ITPO email and can be written to."""
    return [
        User.role == "member",
        User.active.is_(True),
        User.email_confirmed_at.is_not(None),
        consents_to_email(),
        ~exists().where(Suppression.address == User.email),
        ~exists().where(AddressHealth.address == User.email, AddressHealth.failing.is_(True)),
    ]


def _wrote(campaign_id: int):
    return exists().where(Letter.user_id == User.id, Letter.campaign_id == campaign_id)


def _day_start(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), time.min)


def conditions(filters: dict) -> list:
    """The WHERE conditions of a segment (over users joined to member_profiles)."""
    where = _reachable()
    if filters.get("province"):
        where.append(MemberProfile.province == filters["province"])
    if filters.get("district_ids"):
        where.append(MemberProfile.district_id.in_(filters["district_ids"]))
    if filters.get("licensure_stages"):
        where.append(MemberProfile.licensure_stage.in_(filters["licensure_stages"]))
    if filters.get("training_countries"):
        where.append(func.lower(MemberProfile.training_country).in_(filters["training_countries"]))
    if filters.get("specialties"):
        where.append(func.lower(MemberProfile.specialty).in_(filters["specialties"]))
    if filters.get("programs_registered"):
        registered = exists().where(
            Registration.user_id == User.id,
            Registration.status == "registered",
            Registration.event_id == Event.id,
            Event.program_id.in_(filters["programs_registered"]),
        )
        where.append(registered)
    if filters.get("programs_attended"):
        where.append(
            exists().where(
                Attendance.user_id == User.id,
                Attendance.event_id == Event.id,
                Event.program_id.in_(filters["programs_attended"]),
            )
        )
    if filters.get("joined_from"):
        where.append(User.created_at >= _day_start(filters["joined_from"]))
    if filters.get("joined_to"):
        where.append(User.created_at < _day_start(filters["joined_to"]) + timedelta(days=1))
    if filters.get("wrote_in"):
        where.append(_wrote(filters["wrote_in"]))
    if filters.get("not_wrote_in"):
        where.append(~_wrote(filters["not_wrote_in"]))
    return where


def count_members(session: Session, filters: dict) -> int:
    """How many members the segment reaches now (one COUNT query)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .join(MemberProfile, MemberProfile.user_id == User.id)
            .where(*conditions(filters))
        )
        or 0
    )


def count_by_language(session: Session, filters: dict) -> dict[str, int]:
    """How many members the segment reaches now in each language, {"en": n, "fr": m} (one grouped COUNT):
    a member with no language set, or one we do not speak, counts as English (their email language)."""
    counts = {"en": 0, "fr": 0}
    rows = session.execute(
        select(User.language, func.count())
        .select_from(User)
        .join(MemberProfile, MemberProfile.user_id == User.id)
        .where(*conditions(filters))
        .group_by(User.language)
    )
    for language, count in rows:
        counts["fr" if normalise(language) == "fr" else "en"] += count
    return counts


def _details():
    return (
        select(
            User.id,
            User.email,
            User.name,
            MemberProfile.district_id,
            ElectoralDistrict.name,
            User.language,
            ElectoralDistrict.ocd_id,
        )
        .join(MemberProfile, MemberProfile.user_id == User.id)
        .outerjoin(ElectoralDistrict, ElectoralDistrict.id == MemberProfile.district_id)
        .order_by(User.id)
    )


def stream_members(session: Session, filters: dict, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """The segment's members in chunks of (user id, email, name, district id, riding, language, OCD id), by user id.
    The segment's query runs once, for ids read from a server-side cursor into an array; each chunk's details are then
    read by id, so no member objects pile up (see design-notes, "Streaming a mailing's members")."""
    yield from member_details(session, member_ids(session, filters), chunk)


def member_ids(session: Session, filters: dict, after: int | None = None) -> array:
    """The ids of the segment's members (above `after`, if given) in order, as an array of 8-byte ints."""
    ids = array("q")
    wanted = select(User.id).join(MemberProfile, MemberProfile.user_id == User.id).where(*conditions(filters))
    if after is not None:
        wanted = wanted.where(User.id > after)
    found = session.execute(wanted.order_by(User.id).execution_options(yield_per=ID_BATCH))
    for part in found.scalars().partitions():
        ids.extend(part)
    return ids


def member_details(session: Session, ids: array, chunk: int = CHUNK) -> Iterator[list[tuple]]:
    """The details of the members with these ids, `chunk` at a time, in the order of the ids."""
    for start in range(0, len(ids), chunk):  # (in_ids: 0.4 s instead of 1.4 s for 100,000 on PostgreSQL)
        yield session.execute(_details().where(in_ids(session, User.id, ids[start : start + chunk].tolist()))).all()


def sample_members(session: Session, filters: dict, n: int = 3) -> list[tuple]:
    """A few of the segment's members, for a preview."""
    return session.execute(_details().where(*conditions(filters)).limit(n)).all()
