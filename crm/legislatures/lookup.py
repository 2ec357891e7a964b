"""A postal code → the member's district in any legislature, through Represent (cached), keeping in the directory
any representative it names that the directory lacks. When Represent cannot answer, the member is told so and
chooses from the districts the directory knows; nothing is half-saved (one flush, the view commits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from crm.legislatures import client
from crm.legislatures.directory import (
    Representative,
    add_district,
    current_office,
    districts_of,
    office_values,
    open_office,
    parse_representative,
)
from crm.legislatures.sets import in_set
from crm.lib.i18n import N_
from crm.reference.models import Jurisdiction
from crm.reference.names import member_title, riding_name

# What the member reads (translated where it is shown) when Represent cannot place them.
UNAVAILABLE = N_(
    "We could not look up your postal code just now (the Represent service %(why)s). Choose your riding from the "
    "list below, or try again in a few minutes."
)
UNKNOWN_CODE = N_("Represent does not know that postal code. Check it, or choose your riding from the list below.")
NO_MEMBER = N_(
    "Represent lists no %(title)s for that postal code (the seat may be vacant). Choose your riding from the list "
    "below if you know it."
)
WHY = {  # why Represent could not answer, inside UNAVAILABLE
    "rate_limited": N_("is busy"),
    "timeout": N_("did not answer in time"),
    "malformed": N_("sent an answer we could not read"),
}
WHY_OTHERWISE = N_("is unavailable")
TWO_MEMBERS = N_(
    "Represent lists more than one %(title)s for %(district)s (a by-election may be under way), so we cannot tell "
    "who holds the seat; ITPO's directory is used instead where it knows."
)


@dataclass
class Placement:
    """The districts a postal code is in (most likely first), and what to tell the member, if anything."""

    district_ids: list[int] = field(default_factory=list)
    notice: str | None = None


def place(session: Session, jurisdiction: Jurisdiction, postal_code: str) -> Placement:
    """The member's district(s) in this legislature for a normalised postal code ("B3H 4R2")."""
    path = f"/postcodes/{postal_code.replace(' ', '').upper()}/"
    try:
        payload = client.cached_get(session, path)
    except client.RepresentUnavailable as problem:
        if problem.reason == "not_configured":
            return Placement()
        current_app.logger.warning("Represent unavailable for a postal code: %s", problem)
        return Placement(notice=gettext(UNAVAILABLE, why=_why(problem)))
    if payload is None:
        return Placement(notice=gettext(UNKNOWN_CODE))
    return _placement(session, jurisdiction, payload)


def _why(problem: client.RepresentUnavailable) -> str:
    return gettext(WHY.get(problem.reason, WHY_OTHERWISE))


def _members(payload: dict, jurisdiction: Jurisdiction) -> dict[str, list[Representative]]:
    """The legislature's members in the answer by district, centroid matches first."""
    by_district: dict[str, list[Representative]] = {}
    for key in ("representatives_centroid", "representatives_concordance"):
        items = payload.get(key)
        seen_here: dict[str, list[Representative]] = {}
        for item in items if isinstance(items, list) else []:
            rep = parse_representative(item) if isinstance(item, dict) and in_set(item, jurisdiction) else None
            if rep is not None and rep.key not in by_district:
                seen_here.setdefault(rep.key, []).append(rep)
        by_district.update(seen_here)
    return by_district


def _placement(session: Session, jurisdiction: Jurisdiction, payload: dict) -> Placement:
    members = _members(payload, jurisdiction)
    if not members:
        return Placement(notice=gettext(NO_MEMBER, title=member_title(jurisdiction.member_title)))
    known = districts_of(session, jurisdiction)
    placement = Placement()
    now = datetime.utcnow()
    for key, reps in members.items():
        district = known.get(key) or add_district(session, jurisdiction, reps[0])
        known[key] = district
        office = current_office(session, district)
        if len(reps) > 1:
            placement.notice = gettext(
                TWO_MEMBERS, title=member_title(jurisdiction.member_title), district=riding_name(district)
            )
        elif office is None:  # not in the directory: take them from Represent's answer
            open_office(session, jurisdiction, district, office_values(reps[0], now), reps[0].name)
        placement.district_ids.append(district.id)
    session.flush()
    return placement
