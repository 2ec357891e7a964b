"""The demo's campaign outside Ontario: a live Nova Scotia letter campaign whose MLAs are pre-seeded in the
directory, with Represent-shaped answers for a few Halifax postal codes already cached, so the demo writes to an
MLA with no network and never contacts Represent. The MLAs are fictional; their addresses are at mla.example.org.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, LetterBlock, LetterTemplate
from crm.campaigns.template_quality import letter_skeleton
from crm.legislatures.directory import add_district, districts_of, office_values, open_office, parse_representative
from crm.legislatures.models import RepresentAnswer
from crm.legislatures.sets import set_slug
from crm.reference.models import Jurisdiction

DEMO_CODE = "NS"
# (district, fictional member, party, a postal code placed there, email's local part or None).
# One has no address, so the demo shows a letter stopped for want of one.
DEMO_MLAS = (
    ("Halifax Citadel-Sable Island", "Robin Fraser", "Nova Scotia Liberal Party", "B3H 4R2", "rfraser"),
    ("Halifax Chebucto", "Jamie MacIsaac", "Nova Scotia New Democratic Party", "B3L 2C3", "jmacisaac"),
    ("Halifax Needham", "Dana Comeau", "Progressive Conservative Association of Nova Scotia", "B3K 5L6", "dcomeau"),
    ("Clayton Park West", "Kiran Patel", "Nova Scotia Liberal Party", "B3M 4H7", "kpatel"),
    ("Dartmouth South", "Morgan Levesque", "Progressive Conservative Association of Nova Scotia", "B2Y 1A1", None),
)
DEMO_POSTAL_CODES = tuple(row[3] for row in DEMO_MLAS)


def _represent_object(jurisdiction: Jurisdiction, district: str, name: str, party: str, email: str | None) -> dict:
    """The member as Represent would list them (same fields), so the demo runs through the same code."""
    return {
        "name": name,
        "district_name": district,
        "party_name": party,
        "elected_office": jurisdiction.member_title,
        "email": f"{email}@mla.example.org" if email else "",
        "representative_set_name": jurisdiction.legislature_name,
        "offices": [{"type": "constituency", "tel": "1 902 555-0100"}],
        "related": {"representative_set_url": f"/representative-sets/{set_slug(jurisdiction)}/"},
    }


def add_legislature_campaign(session: Session, today: date) -> Campaign | None:
    """The Nova Scotia campaign, its MLAs and cached postal-code answers; flushes. None without the legislature."""
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == DEMO_CODE))
    if jurisdiction is None:
        return None
    known, now = districts_of(session, jurisdiction), datetime.utcnow()
    for district_name, name, party, postal_code, email in DEMO_MLAS:
        item = _represent_object(jurisdiction, district_name, name, party, email)
        rep = parse_representative(item)
        district = known.get(rep.key) or add_district(session, jurisdiction, rep)
        open_office(session, jurisdiction, district, office_values(rep, now, source="demo"), name)
        path = f"/postcodes/{postal_code.replace(' ', '')}/"
        if session.scalar(select(RepresentAnswer.id).where(RepresentAnswer.path == path)) is None:
            answer = {"code": path.split("/")[2], "province": DEMO_CODE, "representatives_centroid": [item]}
            session.add(RepresentAnswer(path=path, body=json.dumps(answer), fetched_at=now))
    campaign = Campaign(
        name="Practice-ready in Nova Scotia: write to your MLA",
        slug="demo-nova-scotia",
        hashtag="#skillstohelp",
        summary="Write to your MLA: Nova Scotia needs more Practice-Ready Assessment spots.",
        kind="own_representative",
        jurisdiction_id=jurisdiction.id,
        starts_on=today - timedelta(days=7),
        status="live",
        mpp_address="legislature",
    )
    subject, blocks = letter_skeleton(session, campaign)
    template = LetterTemplate(
        campaign=campaign,
        version=1,
        subject=subject,
        blocks=[
            LetterBlock(position=position, kind=b.kind, label=b.label, body=b.body, min_length=b.min_length)
            for position, b in enumerate(blocks, start=1)
        ],
    )
    session.add_all([campaign, template])
    session.flush()
    return campaign
