"""A member's data: everything ITPO holds about them (export), and erasure that keeps aggregate counts.

The members package sits below campaigns, interactions and programs, so those packages register
what they hold about a member here (`register_member_data`); members imports none of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.auth.models import RecoveryCode, User
from crm.auth.passwords import hash_password
from crm.lib.spreadsheets import write_csv
from crm.members.models import ConsentRecord, MemberProfile
from crm.outbox.models import OutboundMessage

ERASED = "[erased]"


@dataclass
class MemberDataSource:
    """`export(session, user_id) -> list[dict]`; `erase(session, user_id)` scrubs personal text, keeps counts."""

    name: str
    export: Callable[[Session, int], list[dict]]
    erase: Callable[[Session, int], None]


_SOURCES: dict[str, MemberDataSource] = {}


def register_member_data(source: MemberDataSource) -> None:
    _SOURCES[source.name] = source


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def member_data(session: Session, user: User) -> dict[str, list[dict]]:
    """Everything held about this member, section by section (JSON-ready)."""
    data = {
        "account": _account(user),
        "profile": _profile(session, user),
        "consents": _consents(session, user),
        "emails_sent_to_you": _emails_sent(session, user),
    }
    for name, source in _SOURCES.items():
        data[name] = source.export(session, user.id)
    return {section: [{k: _plain(v) for k, v in row.items()} for row in rows] for section, rows in data.items()}


def _account(user: User) -> list[dict]:
    return [
        {
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "joined": user.created_at,
            "email_confirmed_at": user.email_confirmed_at,
            "last_login_at": user.last_login_at,
            "two_step_verification": user.mfa_enabled,
        }
    ]


def _profile(session: Session, user: User) -> list[dict]:
    profile = session.scalar(select(MemberProfile).where(MemberProfile.user_id == user.id))
    if profile is None:
        return []
    return [
        {
            "postal_code": profile.postal_code,
            "province": profile.province,
            "riding": profile.district.name if profile.district else None,
            "licensure_stage": profile.licensure_stage,
            "training_country": profile.training_country,
            "specialty": profile.specialty,
            "graduation_year": profile.graduation_year,
            "street_address": profile.street_address,
            "phone": profile.phone,
        }
    ]


def _consents(session: Session, user: User) -> list[dict]:
    return [
        {
            "purpose": c.purpose,
            "granted": c.granted,
            "wording": c.wording,
            "wording_version": c.wording_version,
            "source": c.source,
            "at": c.created_at,
        }
        for c in session.scalars(
            select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.id)
        )
    ]


def _emails_sent(session: Session, user: User) -> list[dict]:
    """The emails sent to the member's current address (a letter to an MPP is theirs, not to them)."""
    return [
        {"subject": m.subject, "kind": m.kind, "status": m.status, "at": m.created_at}
        for m in session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.user_id == user.id, OutboundMessage.to_address == user.email)
            .order_by(OutboundMessage.id)
        )
    ]


def member_data_csv(data: dict[str, list[dict]]) -> bytes:
    """The same data as one CSV: section, item, field, value (one line per field), formula-safe."""
    return write_csv(
        ["section", "item", "field", "value"],
        [
            (section, number, field, value)
            for section, rows in data.items()
            for number, row in enumerate(rows, start=1)
            for field, value in row.items()
        ],
    )


def record_consent(
    session: Session,
    user: User,
    *,
    granted: bool,
    wording: str,
    wording_version: str,
    source: str,
    ip_address: str | None,
) -> ConsentRecord:
    """A change of mind is a new record (the old ones stay as evidence)."""
    consent = ConsentRecord(
        user_id=user.id,
        purpose="itpo_email",
        granted=granted,
        wording=wording,
        wording_version=wording_version,
        source=source,
        ip_address=ip_address,
    )
    session.add(consent)
    session.flush()
    return consent


def current_consent(session: Session, user_id: int) -> bool:
    latest = session.scalar(
        select(ConsentRecord.granted)
        .where(ConsentRecord.user_id == user_id, ConsentRecord.purpose == "itpo_email")
        .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return bool(latest)


def erase_member(session: Session, user: User) -> None:
    """Anonymise the person; keep what counts (their riding, stage and letters per riding stay counted)."""
    user_id, old_email = user.id, user.email
    session.info["audit_disabled"] = True  # the log must not keep the old values the erasure removes
    try:
        _erase(session, user, user_id, old_email)
    finally:
        session.info.pop("audit_disabled", None)
    # Past audit entries about this account carried its name and email in their before/after values.
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.entity_type == "users", AuditEvent.entity_id == user_id)
        .values(changes=None)
    )
    record(session, "erase", "users", user_id, None)
    session.flush()


def _erase(session: Session, user: User, user_id: int, old_email: str) -> None:
    for source in _SOURCES.values():
        source.erase(session, user_id)
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.user_id == user_id)
        .values(to_address=f"erased-{user_id}@erased.invalid", subject=ERASED, text_body=ERASED, html_body=None)
    )
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.reply_to == old_email)
        .values(reply_to=None, text_body=ERASED, html_body=None)
    )
    profile = session.scalar(select(MemberProfile).where(MemberProfile.user_id == user_id))
    if profile is not None:  # the riding and stage stay for aggregate counts; what identifies goes
        profile.postal_code = None
        profile.training_country = None
        profile.specialty = None
        profile.graduation_year = None
        profile.street_address = None
        profile.phone = None
    for code in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)):
        session.delete(code)
    user.email = f"erased-{user_id}@erased.invalid"
    user.name = "Erased member"
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.totp_secret = None
    user.mfa_enabled_at = None
    user.active = False
    user.end_all_sessions()
    session.flush()
