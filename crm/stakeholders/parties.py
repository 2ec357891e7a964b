"""Parties: who can take part in something ITPO does — people and organizations of the directory, and ITPO's staff.

A party is named by a reference like 'person:12'. The picker (static/js/interactions.js) searches them as you type;
without JavaScript a typed name is resolved here to the one party it fits, or refused with what to type instead.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from crm.auth.models import STAFF_ROLES, User
from crm.lib.errors import ValidationError
from crm.lib.sql import contains_folded, contains_lowered, contains_pattern
from crm.stakeholders.models import Organization, Person

PARTY_KINDS = ("person", "organization", "user")


def parse_party_ref(ref: str) -> tuple[str, int]:
    """'person:12' → ('person', 12); raises ValueError on anything else."""
    kind, _, raw_id = (ref or "").partition(":")
    if kind not in PARTY_KINDS or not raw_id.isdigit() or len(raw_id) > 12:
        raise ValueError(ref)
    return kind, int(raw_id)


def enhance_picker(name_field, ref_field, placeholder: str = "Type a name, then choose") -> None:
    """Make a form's text box a search-as-you-type picker (static/js/interactions.js) keeping its choice in ref_field.

    A new render_kw dict: the field's own is shared by every form of its class."""
    name_field.render_kw = {
        **(name_field.render_kw or {}),
        "placeholder": placeholder,
        "autocomplete": "off",
        "data-search-url": url_for("interactions.participant_search"),
        "data-ref-input": ref_field.id,
    }


KIND_WORDS = {"person": "person", "organization": "organization", "user": "ITPO member"}


def resolve_party(
    session: Session, ref: str, name: str, kinds: tuple[str, ...] = PARTY_KINDS, field: str = "participants"
) -> str:
    """The party a picker names: its chosen reference while the box still shows that party's label, else the one
    party of the typed name. '' when both are empty; ValidationError on `field` when the name fits none or several."""
    name = " ".join((name or "").split())
    if not name:
        return ref or ""
    if ref and party_labels(session, [ref]).get(ref) == name:
        return ref
    return party_named(session, name, kinds, field)


def _person_label(person: Person) -> str:
    detail = person.title or (person.organization.name if person.organization else "")
    return person.full_name + (f" — {detail}" if detail else "")


def _organization_label(organization: Organization) -> str:
    """Its name, acronym and province: several provinces have a "Ministry of Health"."""
    label = f"{organization.name} ({organization.acronym})" if organization.acronym else organization.name
    return f"{label} · {organization.jurisdiction.code}" if organization.jurisdiction else label


def _user_label(user: User) -> str:
    return f"{user.name} (ITPO)" if user.role in STAFF_ROLES else f"{user.name} (member)"


def search_parties(session: Session, q: str, kinds: tuple[str, ...] = PARTY_KINDS, limit: int = 20) -> list[dict]:
    """Parties whose name (or acronym) contains `q`, for the search-as-you-type participant picker."""
    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    pattern = contains_pattern(q.lower())
    results: list[dict] = []
    if "organization" in kinds:
        for org in session.scalars(
            select(Organization)
            .where(
                Organization.archived.is_(False),
                or_(contains_folded(Organization.name, q), contains_folded(Organization.acronym, q)),
            )
            .options(joinedload(Organization.jurisdiction))
            .order_by(Organization.name)
            .limit(limit)
        ):
            results.append(
                {"value": f"organization:{org.id}", "label": _organization_label(org), "kind": "organization"}
            )
    if "person" in kinds:
        for person in session.scalars(
            select(Person)
            .where(Person.archived.is_(False), contains_lowered(Person.search_name, q.lower()))
            .options(joinedload(Person.organization))
            .order_by(Person.search_name, Person.id)
            .limit(limit)
        ):
            results.append({"value": f"person:{person.id}", "label": _person_label(person), "kind": "person"})
    if "user" in kinds:
        for user in session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(STAFF_ROLES), User.name.ilike(pattern, escape="\\"))
            .order_by(User.name)
            .limit(limit)
        ):
            results.append({"value": f"user:{user.id}", "label": _user_label(user), "kind": "user"})
    return results[:limit]


def party_labels(session: Session, refs) -> dict[str, str]:
    """The picker's label of each reference ('person:12' → 'Ana Lee — Registrar'); one query per kind at most."""
    ids: dict[str, set[int]] = {kind: set() for kind in PARTY_KINDS}
    for ref in refs:
        try:
            kind, party_id = parse_party_ref(ref)
        except ValueError:
            continue
        ids[kind].add(party_id)
    labels = {}
    if ids["person"]:
        for person in session.scalars(
            select(Person).where(Person.id.in_(ids["person"])).options(joinedload(Person.organization))
        ):
            labels[f"person:{person.id}"] = _person_label(person)
    if ids["organization"]:
        for org in session.scalars(
            select(Organization)
            .where(Organization.id.in_(ids["organization"]))
            .options(joinedload(Organization.jurisdiction))
        ):
            labels[f"organization:{org.id}"] = _organization_label(org)
    if ids["user"]:
        for user in session.scalars(select(User).where(User.id.in_(ids["user"]))):
            labels[f"user:{user.id}"] = _user_label(user)
    return labels


def party_named(session: Session, name: str, kinds: tuple[str, ...] = PARTY_KINDS, field: str = "participants") -> str:
    """The reference of the one active party whose name, acronym or picker label is `name` (any case).

    The picker without JavaScript (and the text behind a choice changed by typing): a name that fits
    nobody, or several, is refused with what to type.
    """
    name = " ".join(name.split())
    wanted = name.lower()
    # A label typed in full: "Ana Lee — Registrar", "Ministry of Health · BC".
    head = wanted.split(" — ")[0].split(" · ")[0].split(" (")[0].strip()
    found: dict[str, str] = {}
    if "organization" in kinds:
        named = select(Organization).where(
            Organization.archived.is_(False),
            or_(func.lower(Organization.name).in_({wanted, head}), func.lower(Organization.acronym) == wanted),
        )
        if " · " in wanted:  # "Ministry of Health · BC": the province the picker's label ends with
            named = named.where(Organization.jurisdiction.has(code=wanted.rsplit(" · ", 1)[1].strip().upper()))
        for org in session.scalars(named.options(joinedload(Organization.jurisdiction)).limit(10)):
            found[f"organization:{org.id}"] = _organization_label(org)
    if "person" in kinds:
        for person in session.scalars(
            select(Person)
            .where(Person.archived.is_(False), func.lower(Person.full_name).in_({wanted, head}))
            .options(joinedload(Person.organization))
            .limit(10)
        ):
            found[f"person:{person.id}"] = _person_label(person)
    if "user" in kinds:
        for user in session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(STAFF_ROLES), func.lower(User.name).in_({wanted, head}))
            .limit(10)
        ):
            found[f"user:{user.id}"] = _user_label(user)
    if len(found) == 1:
        return next(iter(found))
    # Two "Sam Lee"s: "Sam Lee — Policy advisor" picks one; a bare "Sam Lee" fits both and is refused.
    exact = [ref for ref, label in found.items() if label.lower() == wanted]
    if len(exact) == 1 and wanted != head:
        return exact[0]
    if not found:
        what = (
            ", ".join(KIND_WORDS[kind] for kind in kinds).replace(", ", " or ")
            if len(kinds) < 3
            else ("person, organization or ITPO member")
        )
        raise ValidationError(
            field, f"No {what} is called “{name}”. Check the spelling, or add them to the directory first."
        )
    choices = "; ".join(sorted(found.values())[:5])
    raise ValidationError(
        field,
        f"“{name}” could be {len(found)} different parties ({choices}). Type the name in full as one of them shows it.",
    )


def party_label(session: Session, ref: str | None) -> str | None:
    """The display name of 'person:12' and friends, or None."""
    try:
        kind, party_id = parse_party_ref(ref or "")
    except ValueError:
        return None
    model = {"person": Person, "organization": Organization, "user": User}[kind]
    party = session.get(model, party_id)
    if party is None:
        return None
    return getattr(party, "full_name", None) or party.name
