"""Member services: joining, with the consent record kept as CASL evidence."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.auth.services import create_user, send_confirmation
from crm.members.models import ConsentRecord, MemberProfile
from crm.members.signals import member_joined
from crm.outbox.signals import address_unsubscribed
from crm.reference.models import ElectoralDistrict, PostalArea

EMAIL_PURPOSE = "itpo_email"  # consent to campaign emails and digests from ITPO


def likely_district(session: Session, postal_code: str) -> ElectoralDistrict | None:
    """The district most of the FSA's addresses fall in, if the FSA is in the table."""
    fsa = postal_code.replace(" ", "")[:3]
    return session.scalar(
        select(ElectoralDistrict)
        .join(PostalArea, PostalArea.district_id == ElectoralDistrict.id)
        .where(PostalArea.fsa == fsa)
        .order_by(PostalArea.rank)
        .limit(1)
    )


def join(
    session: Session,
    *,
    full_name: str,
    email: str,
    password: str,
    postal_code: str,
    province: str,
    consent_email: bool,
    consent_wording: str,
    ip_address: str | None = None,
    licensure_stage: str | None = None,
    training_country: str | None = None,
    specialty: str | None = None,
    graduation_year: int | None = None,
    campaign: str | None = None,
    next_url: str | None = None,
    pending: str | None = None,
    language: str | None = None,
):
    """Create a member account with profile and consent record, and queue the confirmation email.

    `campaign`, `next_url` and `pending` (a waiting letter's token) say where the member came from; they go,
    unchecked, to `member_joined`'s listeners, whose answers join the email. `language`: the one they joined in.
    """
    user = create_user(session, email=email, password=password, role="member", name=full_name)
    user.language = language
    district = likely_district(session, postal_code) if province == "ON" else None
    profile = MemberProfile(
        user_id=user.id,
        postal_code=postal_code,
        province=province,
        district_id=district.id if district else None,
        licensure_stage=licensure_stage or None,
        training_country=training_country or None,
        specialty=specialty or None,
        graduation_year=graduation_year,
    )
    session.add(profile)
    session.add(
        ConsentRecord(
            user_id=user.id,
            purpose=EMAIL_PURPOSE,
            granted=bool(consent_email),
            wording=consent_wording,
            wording_version=current_app.config["CONSENT_WORDING_VERSION"],
            source="join_form",
            ip_address=ip_address,
        )
    )
    notes = [
        answer
        for _, answer in member_joined.send(
            current_app._get_current_object(),
            session=session,
            user=user,
            profile=profile,
            campaign=campaign,
            next_url=next_url,
            pending=pending,
        )
        if isinstance(answer, str)
    ]
    send_confirmation(session, user, next_url=next_url, notes=notes)
    session.flush()
    return user


def record_unsubscribe(sender, *, session: Session, address: str, user_id: int | None, **_) -> None:
    """Outbox signal: a one-click unsubscribe is a "no" on the consent record (CASL evidence)."""
    from crm.auth.models import User

    user = session.get(User, user_id) if user_id else None
    if user is None or user.email != address:
        user = session.scalar(select(User).where(User.email == address))
    if user is None:
        return
    session.add(
        ConsentRecord(
            user_id=user.id,
            purpose=EMAIL_PURPOSE,
            granted=False,
            wording="Unsubscribed with the one-click link in an ITPO email.",
            wording_version=current_app.config["CONSENT_WORDING_VERSION"],
            source="unsubscribe_link",
        )
    )
    session.flush()


address_unsubscribed.connect(record_unsubscribe)


PROFILE_FIELDS = (
    "postal_code",
    "province",
    "street_address",
    "phone",
    "licensure_stage",
    "training_country",
    "specialty",
    "graduation_year",
)


def update_profile(session: Session, user, *, full_name: str, **values) -> ElectoralDistrict | None:
    """Save what a member changed on their profile; the riding follows the postal code.

    Returns the new riding when it changed (the view says who their MPP is now), else None.
    """
    profile = user.profile
    if profile is None:
        profile = MemberProfile(user_id=user.id)
        session.add(profile)
    user.name = " ".join(full_name.split())[:120]
    before = profile.district_id
    moved = values.get("postal_code") != profile.postal_code or values.get("province") != profile.province
    for name in PROFILE_FIELDS:
        value = values.get(name)
        setattr(profile, name, value.strip() or None if isinstance(value, str) else value)
    if moved:
        district = likely_district(session, profile.postal_code) if profile.province == "ON" else None
        profile.district_id = district.id if district else None
    session.flush()
    return profile.district if profile.district_id != before and profile.district_id else None


def representative_name(session: Session, district_id: int) -> str | None:
    """The name of the riding's current representative, for telling a member who moved who their MPP is now."""
    from crm.stakeholders.models import ElectedOffice, Person

    return session.scalar(
        select(Person.full_name)
        .join(ElectedOffice, ElectedOffice.person_id == Person.id)
        .where(ElectedOffice.district_id == district_id, ElectedOffice.current.is_(True))
        .limit(1)
    )
