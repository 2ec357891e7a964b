"""Whom a member writes to: the riding's MPP (from the profile, a postal code or Represent) or fixed targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from crm.campaigns import template_texts
from crm.campaigns.models import Campaign, LetterTemplate
from crm.legislatures.sets import SHIPPED_OFFLINE
from crm.members.models import MemberProfile
from crm.members.small_counts import shown_count
from crm.reference.models import ElectoralDistrict
from crm.stakeholders.models import ElectedOffice, Person

# --- recipients -----------------------------------------------------------------------------------


@dataclass
class Recipient:
    """Who a letter goes to, and what (if anything) stops it."""

    person: Person | PersonRef | None  # ORM objects, or (a posted letter's) plain ones read with the template
    office: ElectedOffice | OfficeRef | None
    district: ElectoralDistrict | DistrictRef | None
    email: str | None
    title: str
    party: str | None
    problem: str | None = None  # "vacant" or "no_address"
    # The writer's riding as their letter names it, and how many members live there (a small count),
    # when the recipient was read for a writer (`recipient_for_district(..., for_writer=True)`).
    member_riding: tuple[str, str, str | None] | None = None  # (name, member count, OCD id)

    @property
    def key(self) -> str:
        return f"person-{self.person.id}" if self.person else f"district-{self.district.id}"


def _office_address(office: ElectedOffice, which: str) -> str | None:
    """The campaign's chosen address, or the other one; never any for an uncertain seat."""
    if office.mail_address is None:
        return None
    first, second = (
        (office.legislature_email, office.constituency_email)
        if which == "legislature"
        else (office.constituency_email, office.legislature_email)
    )
    return first or second


@cache
def _representative():
    """A district of a jurisdiction and its current office with the person: built once (building a statement
    costs more than running it), run with parameters."""
    return (
        select(ElectoralDistrict, ElectedOffice)
        .outerjoin(
            ElectedOffice, and_(ElectedOffice.district_id == ElectoralDistrict.id, ElectedOffice.current.is_(True))
        )
        .where(
            ElectoralDistrict.id == bindparam("district_id"),
            ElectoralDistrict.jurisdiction_id == bindparam("jurisdiction_id"),
        )
        .options(joinedload(ElectedOffice.person))
        .limit(1)
    )


def _writer_riding_columns() -> tuple:
    """The writer's riding (:riding_id): its name, how many members live there, and its OCD id."""
    saved = aliased(ElectoralDistrict)
    riding = bindparam("riding_id")
    members = select(func.count()).select_from(MemberProfile).where(MemberProfile.district_id == riding)
    return (
        select(saved.name).where(saved.id == riding).scalar_subquery(),
        members.scalar_subquery(),
        select(saved.ocd_id).where(saved.id == riding).scalar_subquery(),
    )


@cache
def _representative_with_riding():
    """The same, with the writer's riding's name, how many members live there, and its OCD id."""
    return _representative().add_columns(*_writer_riding_columns())


def recipient_for_district(
    session: Session,
    campaign: Campaign,
    district_id: int,
    *,
    for_writer: bool = False,
    writer_district_id: int | None = None,
) -> Recipient | None:
    """The current representative of a district in the campaign's jurisdiction (None: no such district).

    for_writer: also read, in the same statement, the writer's riding (their saved `writer_district_id`, else
    this district) and how many members live there, for the letter's placeholders (`member_riding`).
    """
    riding_id = writer_district_id or district_id
    stmt = _representative_with_riding() if for_writer else _representative()
    params = {"district_id": district_id, "jurisdiction_id": campaign.jurisdiction_id}
    if for_writer:
        params["riding_id"] = riding_id
    row = session.execute(stmt, params).first()
    if row is None:
        return None
    return _recipient(campaign, row[0], row[1], row[2:] if for_writer else None)


def _recipient(campaign: Campaign, district, office, riding: tuple | None) -> Recipient:
    """The recipient of a district's row: `riding` is the writer's riding's (name, member count, OCD id) as read."""
    member_riding = (riding[0], shown_count(riding[1] or 0), riding[2]) if riding and riding[0] is not None else None
    title = campaign.jurisdiction.member_title
    if office is None:
        return Recipient(None, None, district, None, title, None, problem="vacant", member_riding=member_riding)
    email = _office_address(office, campaign.mpp_address)
    return Recipient(
        office.person,
        office,
        district,
        email,
        title,
        office.party,
        problem=None if email else "no_address",
        member_riding=member_riding,
    )


@dataclass(frozen=True)
class PersonRef:
    """A representative as a send reads them (`Person`'s attributes it uses), not an ORM object."""

    id: int
    full_name: str


@dataclass(frozen=True)
class DistrictRef:
    """A riding as a send reads it (`ElectoralDistrict`'s attributes it uses)."""

    id: int
    name: str
    ocd_id: str


@dataclass(frozen=True)
class OfficeRef:
    """A current seat as a send reads it (`ElectedOffice`'s attributes it uses, `mail_address` the same rule)."""

    id: int
    person: PersonRef
    party: str | None
    legislature_email: str | None
    constituency_email: str | None
    contact_uncertain: bool
    prefers_french: bool

    mail_address = property(ElectedOffice.mail_address.fget)


_DISTRICT = (ElectoralDistrict.id, ElectoralDistrict.name, ElectoralDistrict.ocd_id)
_OFFICE = (
    ElectedOffice.id,
    Person.id,
    Person.full_name,
    ElectedOffice.party,
    ElectedOffice.legislature_email,
    ElectedOffice.constituency_email,
    ElectedOffice.contact_uncertain,
    ElectedOffice.prefers_french,
)


@cache
def _campaign_with_representative():
    """A posted letter's campaign (with its jurisdiction), its template version's id, number and creation time
    (which find its kept text), and the named district's current representative and the writer's riding as plain
    columns: what a send needs before composing, in one row (built once, run with parameters)."""
    return (
        select(Campaign, LetterTemplate.id, LetterTemplate.version, LetterTemplate.created_at)
        .join(
            LetterTemplate,
            and_(LetterTemplate.id == bindparam("template_id"), LetterTemplate.campaign_id == Campaign.id),
        )
        .add_columns(*_DISTRICT, *_OFFICE, *_writer_riding_columns())
        .outerjoin(
            ElectoralDistrict,
            and_(
                ElectoralDistrict.id == bindparam("district_id"),
                ElectoralDistrict.jurisdiction_id == Campaign.jurisdiction_id,
            ),
        )
        .outerjoin(
            ElectedOffice, and_(ElectedOffice.district_id == ElectoralDistrict.id, ElectedOffice.current.is_(True))
        )
        .outerjoin(Person, Person.id == ElectedOffice.person_id)
        .where(Campaign.slug == bindparam("slug"))
        .options(joinedload(Campaign.jurisdiction))
    )


def template_and_recipient(
    session: Session, slug: str, template_id: int, district_id: int | None, writer_district_id: int | None
) -> tuple:
    """(campaign, template, recipient): the campaign at `slug`, the version a letter was posted with (a kept
    text: crm/campaigns/template_texts.py) and the recipient of the district it names, read for this writer. All
    None: not that campaign's template; recipient None: no such district there, or a campaign of fixed targets."""
    params = {"slug": slug, "template_id": template_id, "district_id": district_id}
    params["riding_id"] = writer_district_id or district_id
    row = session.execute(_campaign_with_representative(), params).first()
    if row is None:
        return None, None, None
    campaign = row[0]
    template = template_texts.template_text(session, row[1], campaign.id, row[2], row[3])
    if row[4] is None or campaign.kind != "own_representative":
        return campaign, template, None
    district = DistrictRef(*row[4:7])
    office = None
    if row[7] is not None:
        office = OfficeRef(row[7], PersonRef(row[8], row[9]), *row[10:15])
    return campaign, template, _recipient(campaign, district, office, row[15:])


def fixed_recipients(session: Session, campaign: Campaign) -> list[Recipient]:
    """The campaign's fixed targets, with their seat (if any) for party and riding."""
    result = []
    for target in campaign.targets:
        person = target.person
        office = next((o for o in person.offices if o.current), None)
        email = (
            target.email
            or (office.mail_address if office else None)
            or next((c.value for c in person.contacts if c.kind == "email"), None)
        )
        result.append(
            Recipient(
                person,
                office,
                office.district if office else None,
                email,
                person.title or campaign.jurisdiction.member_title,
                office.party if office else None,
                problem=None if email else "no_address",
            )
        )
    return result


@dataclass
class DistrictChoice:
    district: ElectoralDistrict
    recipient: Recipient
    share: float | None = None  # percent of the postal area's addresses; None when Represent placed the code


@dataclass
class PostalChoices:
    """The ridings a postal code may be in, as the member should see them."""

    likely: DistrictChoice | None = None  # preselected: holds at least LIKELY_SHARE of the area, or exact
    others: list[DistrictChoice] = field(default_factory=list)  # shown, most likely first
    minor: list[DistrictChoice] = field(default_factory=list)  # under MINOR_SHARE: folded away
    outside: str | None = None  # the province the code is in, when it is not the campaign's
    notice: str | None = None  # what the member should know about the lookup (Represent down, code unknown, …)

    @property
    def found(self) -> bool:
        return bool(self.likely or self.others or self.minor)


LIKELY_SHARE = 60.0  # percent of the postal area's addresses
MINOR_SHARE = 5.0


def postal_choices(session: Session, campaign: Campaign, postal_code: str) -> PostalChoices:
    """Candidate ridings for a (normalised) postal code: Represent's exact answer when configured, else the
    FSA table's shares; the most likely preselected only when it holds 60% of the area."""
    from crm.reference.services import province_for_postal_code

    province = province_for_postal_code(postal_code)
    if province and province != campaign.jurisdiction.code and campaign.jurisdiction.kind != "federal":
        from crm.members.forms import PROVINCES

        return PostalChoices(outside=dict(PROVINCES).get(province, province))
    if campaign.jurisdiction.code not in SHIPPED_OFFLINE:
        return _legislature_choices(session, campaign, postal_code)
    choices = _represent_choices(session, campaign, postal_code) or _table_choices(session, campaign, postal_code)
    if not choices:
        return PostalChoices()
    first = choices[0]
    likely = first if (first.share is None and len(choices) == 1) or (first.share or 0) >= LIKELY_SHARE else None
    rest = [c for c in choices if c is not likely]
    return PostalChoices(
        likely=likely,
        others=[c for c in rest if c.share is None or c.share >= MINOR_SHARE],
        minor=[c for c in rest if c.share is not None and c.share < MINOR_SHARE],
    )


def _represent_choices(session: Session, campaign: Campaign, postal_code: str) -> list[DistrictChoice]:
    from crm.campaigns import represent

    if not current_app.config.get("REPRESENT_API_URL"):
        return []
    try:
        district_ids = represent.district_ids_for(session, postal_code, campaign.jurisdiction)
    except represent.RepresentUnavailable:
        current_app.logger.warning("Represent API unavailable; using the FSA table")
        return []
    choices = []
    for district_id in district_ids or ():
        recipient = recipient_for_district(session, campaign, district_id)
        if recipient is not None:
            choices.append(DistrictChoice(recipient.district, recipient))
    return choices


def _table_choices(session: Session, campaign: Campaign, postal_code: str) -> list[DistrictChoice]:
    from crm.reference.services import candidate_districts

    choices = []
    for candidate in candidate_districts(session, postal_code):
        recipient = recipient_for_district(session, campaign, candidate.district.id)
        if recipient is not None:
            choices.append(DistrictChoice(candidate.district, recipient, candidate.share))
    return choices


def _legislature_choices(session: Session, campaign: Campaign, postal_code: str) -> PostalChoices:
    """Any legislature but Ontario's: Represent places the code (crm.legislatures.lookup), or tells why not."""
    from crm.legislatures import lookup

    placement = lookup.place(session, campaign.jurisdiction, postal_code)
    choices = []
    for district_id in placement.district_ids:
        recipient = recipient_for_district(session, campaign, district_id)
        if recipient is not None:
            choices.append(DistrictChoice(recipient.district, recipient))
    if len(choices) == 1:
        return PostalChoices(likely=choices[0], notice=placement.notice)
    return PostalChoices(others=choices, notice=placement.notice)
