"""Synthetic demonstration data in bulk inserts: members, campaigns, letters and outbox rows (committee
work in `demo_activity`). Nothing can reach a real inbox. Scale: docs/design-notes.md, "dashboards/demo.py"."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.campaigns.models import Campaign, Letter, LetterBlock, LetterTemplate
from crm.campaigns.similarity_bulk import add_demo_signatures
from crm.campaigns.template_quality import letter_skeleton
from crm.dashboards.demo_activity import load_activity
from crm.dashboards.demo_legislatures import add_legislature_campaign
from crm.dashboards.demo_proposals import load_proposals
from crm.lib.errors import ValidationError
from crm.members.models import MemberProfile
from crm.outbox.models import OutboundMessage
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.replies.models import LetterReply
from crm.stakeholders.models import ElectedOffice


@dataclass(frozen=True)
class Scale:
    members: int
    campaigns: int  # the first is live, the others closed
    participation: float  # share of members who write in each closed campaign


SCALES = {
    "small": Scale(members=3_000, campaigns=4, participation=0.6),
    # About 43,000 members live in a riding with an MPP: 0.6 + 23 campaigns of them ≈ 1,000,000 letters.
    "large": Scale(members=50_000, campaigns=24, participation=1.0),
}
CHUNK = 10_000
NEVER_DUE = datetime(2100, 1, 1)
EMAIL_DOMAIN = "demo.example.org"
UNUSABLE_PASSWORD = "!demo-account-cannot-log-in"

PROVINCES = (("ON", 86), ("BC", 4), ("AB", 4), ("QC", 2), ("MB", 1), ("NS", 1), ("SK", 1), (None, 1))
STAGES = (
    ("exams", 26),
    ("carms", 18),
    ("pra", 10),
    ("residency", 7),
    ("licensed", 9),
    ("clinical_assistant", 8),
    ("other", 12),
    (None, 10),
)
COUNTRIES = (
    ("India", 16),
    ("Pakistan", 12),
    ("Egypt", 10),
    ("Nigeria", 9),
    ("Iran", 7),
    ("Philippines", 6),
    ("Iraq", 4),
    ("Syria", 4),
    ("Ukraine", 4),
    ("Jamaica", 2),
    ("China", 3),
    ("Bangladesh", 3),
    ("Saudi Arabia", 2),
    ("Ireland", 2),
    ("United Kingdom", 2),
    ("Colombia", 2),
    ("Mexico", 2),
    ("Brazil", 2),
    ("Cuba", 2),
    ("Lebanon", 2),
    ("Venezuela", 1),
    ("Sudan", 1),
    (None, 6),
)
SPECIALTIES = (
    ("Family medicine", 30),
    ("Internal medicine", 12),
    ("Pediatrics", 7),
    ("General surgery", 6),
    ("Obstetrics and gynecology", 6),
    ("Psychiatry", 5),
    ("Anesthesiology", 4),
    ("Emergency medicine", 4),
    ("Cardiology", 3),
    ("Radiology", 2),
    ("Ophthalmology", 2),
    ("Pathology", 1),
    ("Dermatology", 1),
    ("Neurology", 1),
    (None, 16),
)
# Closed campaigns' letters have settled; the live one still has some in flight.
SETTLED = (("delivered", 88), ("bounced", 4), ("dropped", 1), ("failed", 3), ("accepted", 4))
IN_FLIGHT = (
    ("delivered", 72),
    ("accepted", 12),
    ("queued", 6),
    ("deferred", 2),
    ("bounced", 4),
    ("dropped", 1),
    ("failed", 3),
)
CAMPAIGN_NAMES = (
    "Skills to help: more PRA spots now",
    "#mppchats: meet your MPP",
    "More residency positions",
    "Recency of practice: an official clinical assistant role",
    "Practice-ready in every province",
)
BODY = (
    "Dear {name},\n\nI am an internationally trained physician living in your riding. Ontario needs more "
    "Practice-Ready Assessment spots, more residency positions and an official clinical assistant role. "
    "Please support ITPO's asks.\n\nSincerely,\nAn ITPO member"
)


def _weighted(rng: random.Random, pairs, k: int) -> list:
    values, weights = zip(*pairs, strict=False)
    return rng.choices(values, weights=weights, k=k)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def has_members(session: Session) -> bool:
    return session.scalar(select(MemberProfile.id).limit(1)) is not None


def load_demo(session: Session, scale: str, *, today: date | None = None, seed: int = 8) -> dict[str, int]:
    """Add the demo data at `scale` ("small" or "large"); flushes, never commits. Returns the counts added."""
    if scale not in SCALES:
        raise ValidationError("scale", f"Choose a scale: {', '.join(SCALES)}.")
    spec, rng, today = SCALES[scale], random.Random(seed), today or date.today()
    ontario = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
    offices = (
        list(
            session.execute(
                select(ElectedOffice.district_id, ElectedOffice.id, ElectedOffice.person_id, ElectedOffice.party)
                .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
                .where(ElectedOffice.current.is_(True), ElectoralDistrict.jurisdiction_id == ontario.id)
                .order_by(ElectoralDistrict.number)
            )
        )
        if ontario
        else []
    )
    if not offices:
        raise ValidationError(None, "Load the reference data first (flask crm seed): the demo needs the MPP roster.")
    if session.scalar(select(User.id).where(User.email.like(f"%@{EMAIL_DOMAIN}")).limit(1)) is not None:
        raise ValidationError(None, "The demo data is already loaded.")
    session.info["audit_disabled"] = True
    try:
        user_ids, districts = _add_members(session, spec, rng, today, ontario.id)
        campaigns = _add_campaigns(session, spec, today, ontario.id)
        elsewhere = add_legislature_campaign(session, today)  # Nova Scotia: pre-seeded, never asks Represent
        letters = _add_letters(
            session, spec, rng, today, user_ids, districts, {row.district_id: row for row in offices}, campaigns
        )
        add_demo_signatures(session, [c.id for c, _ in (campaigns if scale == "small" else campaigns[:1])])
        joined = _joined_through_live_campaign(session, campaigns[0][0])
        replies = _add_reply_answers(session, rng, today)
        activity = load_activity(session, scale, rng, today, user_ids, EMAIL_DOMAIN, UNUSABLE_PASSWORD)
        author = session.scalar(select(User.id).where(User.email == f"committee1@{EMAIL_DOMAIN}"))
        activity |= load_proposals(session, rng, today, author)
    finally:
        session.info.pop("audit_disabled", None)
    return {
        "members": len(user_ids),
        "campaigns": len(campaigns) + (elsewhere is not None),
        "letters": letters,
        "joined_through_live_campaign": joined,
        "reply_surveys": replies,
        **activity,
    }


def _joined_through_live_campaign(session: Session, campaign: Campaign) -> int:
    """About a third of the members who joined since the live campaign began came through its page."""
    since = datetime.combine(campaign.starts_on, time.min)
    return (
        session.execute(
            update(MemberProfile)
            .where(MemberProfile.created_at >= since, MemberProfile.id % 3 == 0)
            .values(joined_via_campaign_id=campaign.id)
        ).rowcount
        or 0
    )


def _add_members(session: Session, spec: Scale, rng: random.Random, today: date, ontario_id: int):
    """Users and profiles; Ontario members spread over the ridings, more in the cities."""
    traits = _member_traits(session, spec.members, rng, today, ontario_id)
    n = spec.members
    user_ids: list[int] = []
    for block in _chunks(list(range(n))):
        rows = [
            {
                "email": f"member{i + 1}@{EMAIL_DOMAIN}",
                "name": f"Demo Member {i + 1}",
                "password_hash": UNUSABLE_PASSWORD,
                "role": "member",
                "active": True,
                "email_confirmed_at": traits.joined[i],
                "created_at": traits.joined[i],
            }
            for i in block
        ]
        user_ids.extend(session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    districts = [traits.chosen[i] if traits.provinces[i] == "ON" else None for i in range(n)]
    for block in _chunks(list(range(n))):
        session.execute(
            insert(MemberProfile), [_profile_row(rng, today, traits, user_ids, districts, i) for i in block]
        )
    return user_ids, districts


@dataclass
class _Traits:
    """What each demo member is, drawn at random: province, stage, country, specialty, riding, joining time."""

    provinces: list
    stages: list
    countries: list
    specialties: list
    chosen: list[int]  # a riding for each (used only for Ontario members)
    joined: list[datetime]


def _member_traits(session: Session, n: int, rng: random.Random, today: date, ontario_id: int) -> _Traits:
    """Draw `n` members' traits; ridings are lumpy (some have several times as many members as others)."""
    district_rows = list(
        session.execute(
            select(ElectoralDistrict.id, ElectoralDistrict.number).where(
                ElectoralDistrict.jurisdiction_id == ontario_id
            )
        )
    )
    weights = [rng.lognormvariate(0, 0.7) for _ in district_rows]
    provinces = _weighted(rng, PROVINCES, n)
    stages, countries, specialties = (
        _weighted(rng, STAGES, n),
        _weighted(rng, COUNTRIES, n),
        _weighted(rng, SPECIALTIES, n),
    )
    chosen = rng.choices([row.id for row in district_rows], weights=weights, k=n)
    start = datetime.combine(today - timedelta(days=730), time(9))
    joined = sorted(start + timedelta(minutes=rng.randrange(730 * 24 * 60)) for _ in range(n))
    return _Traits(provinces, stages, countries, specialties, chosen, joined)


def _profile_row(rng: random.Random, today: date, traits: _Traits, user_ids, districts, i: int) -> dict:
    """Member `i`'s profile row; one in twelve gives no graduation year."""
    return {
        "user_id": user_ids[i],
        "province": traits.provinces[i],
        "district_id": districts[i],
        "postal_code": None,
        "licensure_stage": traits.stages[i],
        "training_country": traits.countries[i],
        "specialty": traits.specialties[i],
        "created_at": traits.joined[i],
        "graduation_year": None if rng.random() < 0.08 else today.year - min(40, int(rng.gammavariate(3, 4)) + 1),
    }


def _add_campaigns(session: Session, spec: Scale, today: date, ontario_id: int) -> list[Campaign]:
    campaigns = []
    for index in range(spec.campaigns):
        live = index == 0
        starts = today - timedelta(days=30) if live else today - timedelta(days=60 * index + 90)
        name = CAMPAIGN_NAMES[index % len(CAMPAIGN_NAMES)] + ("" if index < len(CAMPAIGN_NAMES) else f" ({index + 1})")
        campaign = Campaign(
            name=name,
            slug=f"demo-{index + 1}",
            hashtag="#skillstohelp" if index % 2 == 0 else "#mppchats",
            summary="Write to your MPP.",
            kind="own_representative",
            jurisdiction_id=ontario_id,
            goal_letters=(spec.members // 2) if live else None,
            goal_ridings=100 if live else None,
            starts_on=starts,
            ends_on=None if live else starts + timedelta(days=45),
            status="live" if live else "closed",
            mpp_address="legislature",
        )
        subject, blocks = letter_skeleton(session, campaign)  # what a lead's new template starts from
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
        campaigns.append((campaign, template))
    session.flush()
    return campaigns


def _add_letters(
    session: Session,
    spec: Scale,
    rng: random.Random,
    today: date,
    user_ids: list[int],
    districts: list[int | None],
    offices: dict,
    campaigns,
) -> int:
    """Each member with an Ontario riding (and an MPP) writes in each campaign with some probability."""
    total = 0
    writers = [
        (user_id, offices[district])
        for user_id, district in zip(user_ids, districts, strict=False)
        if district is not None and district in offices
    ]
    for index, (campaign, template) in enumerate(campaigns):
        live = index == 0
        share = 0.6 * spec.participation if live else spec.participation
        chosen = [writer for writer in writers if rng.random() < share]
        days = 30 if live else 45
        start = datetime.combine(campaign.starts_on, time(7))
        for block in _chunks(chosen):
            # Most letters come in the first days and after reminders (days 7, 14, 21).
            stamps = [
                start
                + timedelta(
                    days=min(days - 1, int(rng.expovariate(1 / 6)) + rng.choice((0, 0, 0, 7, 14, 21))),
                    minutes=rng.randrange(16 * 60),
                )
                for _ in block
            ]
            statuses = _weighted(rng, IN_FLIGHT if live else SETTLED, len(block))
            message_ids = _insert_messages(session, block, statuses, stamps)
            _insert_letters(session, campaign, template, block, message_ids, stamps)
            total += len(block)
    return total


def _insert_messages(session: Session, block, statuses: list[str], stamps: list[datetime]) -> list[int]:
    """The outbox rows of a block of letters, in their statuses; their ids, in order."""
    message_rows = [
        {
            "kind": "letter",
            "user_id": user_id,
            "to_address": f"mpp-{office.district_id}@example.invalid",
            "from_address": f"ITPO <letters@{EMAIL_DOMAIN}>",
            "subject": "A letter from a constituent",
            "text_body": BODY.format(name="MPP"),
            "status": status,
            "attempts": 0 if status == "queued" else 1,
            "created_at": stamp,
            "updated_at": stamp,
            # Demo letters are never sent: a queued one waits past any demonstration, so no worker takes it.
            "next_attempt_at": NEVER_DUE if status == "queued" else stamp,
            "sent_at": None if status in ("queued", "sending") else stamp + timedelta(seconds=30),
        }
        for (user_id, office), status, stamp in zip(block, statuses, stamps, strict=False)
    ]
    return list(
        session.scalars(
            insert(OutboundMessage).returning(OutboundMessage.id, sort_by_parameter_order=True), message_rows
        )
    )


def _insert_letters(session: Session, campaign, template, block, message_ids: list[int], stamps) -> None:
    """A block of letters, each to the writer's MPP and tied to its outbox row."""
    session.execute(
        insert(Letter),
        [
            {
                "campaign_id": campaign.id,
                "user_id": user_id,
                "person_id": office.person_id,
                "office_id": office.id,
                "district_id": office.district_id,
                "template_id": template.id,
                "party": office.party,
                "to_address": f"mpp-{office.district_id}@example.invalid",
                "subject": "A letter from a constituent",
                "body": BODY.format(name="MPP"),
                "message_id": message_id,
                "created_at": stamp,
            }
            for (user_id, office), message_id, stamp in zip(block, message_ids, stamps, strict=False)
        ],
    )


# "Did they reply?": 4 in 10 delivered letters were asked (14 days on), 6 in 10 of those answered.
ANSWERS = (("replied", 30), ("acknowledged", 35), ("no_reply", 35))
TONES = (("supportive", 45), ("neutral", 40), ("opposed", 15), (None, 20))
REPLY_TEXTS = (
    "Thank you for writing. The MPP supports more Practice-Ready Assessment spots and has raised it "
    "with the Minister of Health.",
    "The office said the ministry is reviewing the PRA program.",
    "A staffer called to say the MPP will ask about residency positions at Queen's Park.",
    None,
    None,
)


def _add_reply_answers(session: Session, rng: random.Random, today: date) -> int:
    """Reply surveys on delivered demo letters (never emailed: no outbox message), 6 in 10 answered."""
    due = datetime.combine(today, time.min) - timedelta(days=14)
    letters = session.execute(
        select(
            Letter.id,
            Letter.campaign_id,
            Letter.user_id,
            Letter.person_id,
            Letter.district_id,
            Letter.party,
            OutboundMessage.sent_at,
        )
        .join(OutboundMessage, OutboundMessage.id == Letter.message_id)
        .where(OutboundMessage.status == "delivered", OutboundMessage.sent_at <= due)
    ).all()
    asked = [row for row in letters if rng.random() < 0.4]
    for block in _chunks(asked):
        rows = []
        for row in block:
            answered = rng.random() < 0.6
            answer = _weighted(rng, ANSWERS, 1)[0] if answered else None
            rows.append(
                {
                    "letter_id": row.id,
                    "campaign_id": row.campaign_id,
                    "user_id": row.user_id,
                    "person_id": row.person_id,
                    "district_id": row.district_id,
                    "party": row.party,
                    "nonce": f"{rng.getrandbits(64):016x}",
                    "delivered_at": row.sent_at,
                    "asked_at": row.sent_at + timedelta(days=14),
                    "answer": answer,
                    "reply_text": rng.choice(REPLY_TEXTS) if answer == "replied" else None,
                    "tone": _weighted(rng, TONES, 1)[0] if answer == "replied" else None,
                    "answered_at": row.sent_at + timedelta(days=14 + rng.randrange(1, 6)) if answered else None,
                }
            )
        session.execute(insert(LetterReply), rows)
    return len(asked)
