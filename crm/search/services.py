"""The one search: what a typed text is checked for, and its matches grouped by kind, best group first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext
from sqlalchemy.orm import Session

from crm.interactions.models import KINDS
from crm.lib.i18n import N_
from crm.search import queries
from crm.stakeholders.models import ORGANIZATION_KINDS

MAX_LENGTH = 200  # characters of a search that are read; the rest is dropped, and the page says so
MIN_LENGTH = 2
PER_KIND = 5


@dataclass(frozen=True)
class Hit:
    """One match: what it is called, where it leads (None: nowhere this user may go), and a line about it."""

    title: str
    url: str | None
    detail: str = ""
    rank: int = 3


@dataclass
class Group:
    """The matches of one kind, at most PER_KIND; `more`: there are others, listed at `more_url` if any."""

    kind: str
    label: str
    hits: list[Hit]
    more: bool = False
    more_url: str | None = None

    @property
    def best(self) -> int:
        return min(hit.rank for hit in self.hits)


@dataclass
class Outcome:
    """What the search page shows: the text searched, its groups, or why nothing was searched."""

    q: str = ""
    groups: list[Group] = field(default_factory=list)
    problem: str | None = None
    shortened: bool = False


def prepare(raw: str | None) -> tuple[str, str | None, bool]:
    """(text to search, why not to search it, whether it was shortened): spaces collapsed, at most MAX_LENGTH
    characters; text without a letter or digit, or shorter than MIN_LENGTH, is not searched."""
    text = " ".join((raw or "").split())
    shortened = len(text) > MAX_LENGTH
    text = text[:MAX_LENGTH].strip()
    if not text:
        return "", None, False
    if not any(ch.isalnum() for ch in text):
        return (
            text,
            gettext("Type a name, an acronym, a riding, a hashtag or an email: punctuation alone matches nothing."),
            False,
        )
    if len(text) < MIN_LENGTH:
        return text, gettext("Type at least %(count)s characters.", count=MIN_LENGTH), False
    return text, None, shortened


def search(session: Session, raw: str | None, can: Callable[[str], bool]) -> Outcome:
    """Every kind `can` lets the user open, one query each (so as many queries whatever matches)."""
    q, problem, shortened = prepare(raw)
    if not q or problem:
        return Outcome(q=q, problem=problem)
    groups = [group(session, q, can) for group in GROUPS]
    found = [g for g in groups if g is not None and g.hits]
    found.sort(key=lambda g: g.best)  # stable: equally good groups keep GROUPS' order
    return Outcome(q=q, groups=found, shortened=shortened)


def _group(kind: str, label: str, rows: list, hit: Callable, more_url: str | None = None) -> Group:
    more = len(rows) > PER_KIND
    return Group(kind, label, [hit(row) for row in rows[:PER_KIND]], more, more_url if more else None)


def _organizations(session: Session, q: str, can) -> Group | None:
    kinds = dict(ORGANIZATION_KINDS)

    def hit(row):
        title = f"{row.name} ({row.acronym})" if row.acronym else row.name
        return Hit(
            title, url_for("stakeholders.organization", organization_id=row.id), kinds.get(row.kind, ""), row.rank
        )

    rows = queries.organizations(session, q, PER_KIND + 1)
    return _group("organizations", N_("Organizations"), rows, hit, url_for("stakeholders.organizations", q=q))


def _people(session: Session, q: str, can) -> Group | None:
    def hit(row):
        organization = f"{row.name} ({row.acronym})" if row.acronym else row.name
        detail = ", ".join(part for part in (row.title, organization) if part)
        return Hit(row.full_name, url_for("stakeholders.person", person_id=row.id), detail, row.rank)

    rows = queries.people(session, q, PER_KIND + 1)
    return _group("people", N_("People"), rows, hit, url_for("stakeholders.people", q=q))


def _offices(session: Session, q: str, can) -> Group | None:
    def hit(row):
        detail = ", ".join(part for part in (row.full_name, row.party, row.code) if part)
        return Hit(row.name, url_for("stakeholders.person", person_id=row.id), detail, row.rank)

    return _group("ridings", N_("Elected offices by riding"), queries.offices(session, q, PER_KIND + 1), hit)


def _interactions(session: Session, q: str, can) -> Group | None:
    kinds = dict(KINDS)

    def hit(row):
        detail = f"{kinds.get(row.kind, row.kind)}, {row.occurred_at:%Y-%m-%d}"
        return Hit(row.title, url_for("interactions.detail", interaction_id=row.id), detail, row.rank)

    tag = queries.hashtag_of(q)
    more_url = url_for("interactions.index", hashtag=tag) if tag and q.startswith("#") else None
    return _group("interactions", N_("Interactions"), queries.interactions(session, q, PER_KIND + 1), hit, more_url)


def _proposals(session: Session, q: str, can) -> Group | None:
    def hit(row):
        return Hit(row.title, url_for("proposals.committee_proposal", proposal_id=row.id), row.name, row.rank)

    return _group("proposals", N_("Proposals"), queries.proposals(session, q, PER_KIND + 1), hit)


def _campaigns(session: Session, q: str, can) -> Group | None:
    leads = can("campaigns.dashboard")

    def hit(row):
        url = url_for("campaigns.dashboard", campaign_id=row.id) if leads else url_for("campaigns.show", slug=row.slug)
        return Hit(row.name, url, row.status.title(), row.rank)

    return _group("campaigns", N_("Campaigns"), queries.campaigns(session, q, PER_KIND + 1), hit)


def _members(session: Session, q: str, can) -> Group | None:
    admin = can("auth.admin_users")

    def hit(row):
        return Hit(row.name, url_for("auth.admin_users", q=row.email) if admin else None, row.email, row.rank)

    more_url = url_for("auth.admin_users", q=q, role="member") if admin else None
    return _group("members", N_("Members"), queries.members(session, q, PER_KIND + 1), hit, more_url)


# In this order when equally good: the directory first, members last.
GROUPS = (_organizations, _people, _offices, _interactions, _proposals, _campaigns, _members)
