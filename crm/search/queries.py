"""One query per kind of record for the one search: each returns its best few matches as plain rows.

Every text is compared folded (`unaccented`: no case, no accents, on both databases); LIKE's wildcards in
the search are escaped (`contains_pattern`), so `%`, `_` and `\\` mean themselves.
"""

from __future__ import annotations

import re

from sqlalchemy import String, and_, case, func, literal, or_, select, union
from sqlalchemy.orm import Session

from crm.auth.models import User
from crm.campaigns.models import Campaign
from crm.interactions.models import Interaction, InteractionHashtag
from crm.lib.sql import DialectExpression, contains_pattern, contains_text, in_subquery, unaccented
from crm.proposals.models import Proposal
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ElectedOffice, Organization, Person

WORDS = 10  # an organization matches every word, in any order, of at most this many
LAST_CHARACTER = "\U0010ffff"  # sorts after any text that starts with the same letters
CANDIDATES = 500  # people or members ranked per search: a name shared by thousands ranks the first 500 found


class _Like(DialectExpression):
    """`{0} LIKE {1}` with backslash as the escape character (the patterns of `contains_pattern`)."""

    name = "search_like"
    inherit_cache = True
    type = String()
    templates = {"default": "{0} LIKE {1} ESCAPE '\\'"}


class _PersonName(DialectExpression):
    """A person's folded name: the stored `search_name` on PostgreSQL, which its trigram index serves (0010,
    0023); `fold_text(full_name)` on SQLite, whose stored copy folds case only."""

    name = "search_person_name"
    inherit_cache = True
    type = String()
    templates = {"default": "lower({0})", "postgresql": "{1}", "sqlite": "fold_text({0})"}


def _escaped(text: str) -> str:
    return contains_pattern(text)[1:-1]


def _folded(text: str):
    return unaccented(literal(text))


def _contains(column, text: str):
    return _Like(column, _folded(contains_pattern(text)))


def rank(column, text: str):
    """0 when `column` (folded) is `text`, 1 when it starts with it, 2 when one of its words does, else 3."""
    escaped = _escaped(text)
    return case(
        (column == _folded(text), 0),
        (_Like(column, _folded(escaped + "%")), 1),
        (_Like(column, _folded("% " + escaped + "%")), 2),
        else_=3,
    )


def people(session: Session, q: str, limit: int):
    """(id, full name, title, organization, acronym, rank): names containing `q`, exact and prefix first.

    Ranked among the names starting with `q` (read in name order from the name index) and the first CANDIDATES
    containing it, so a surname shared by thousands costs no more than a rare one."""
    name = _PersonName(Person.full_name, Person.search_name)
    live = Person.archived.is_(False)
    # A range too: the name index (search_name, id) serves it in order (PostgreSQL, C collation).
    starting = and_(name >= _folded(q), name < _folded(q + LAST_CHARACTER), _Like(name, _folded(_escaped(q) + "%")))
    prefix = select(Person.id).where(live, starting).order_by(name, Person.id).limit(limit).subquery()
    anywhere = select(Person.id).where(live, _contains(name, q)).limit(CANDIDATES).subquery()
    found = union(select(prefix.c.id), select(anywhere.c.id)).subquery()
    ranked = rank(name, q).label("rank")
    stmt = (
        select(Person.id, Person.full_name, Person.title, Organization.name, Organization.acronym, ranked)
        .outerjoin(Organization, Organization.id == Person.organization_id)
        .where(in_subquery(Person.id, select(found.c.id)))
        .order_by(ranked, name, Person.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def organizations(session: Session, q: str, limit: int):
    """(id, name, acronym, kind, rank): every word in the name or the acronym; the acronym itself first."""
    name, acronym = unaccented(Organization.name), unaccented(Organization.acronym)
    ranked = case((acronym == _folded(q), 0), else_=rank(name, q)).label("rank")
    words = [or_(_contains(name, word), _contains(acronym, word)) for word in q.split()[:WORDS]]
    stmt = (
        select(Organization.id, Organization.name, Organization.acronym, Organization.kind, ranked)
        .where(Organization.archived.is_(False), *words)
        .order_by(ranked, name, Organization.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


# Riding names join their parts with an em dash, which nobody types: dashes (and the spaces around
# them) read as one space, and dots vanish ("St Catharines" finds St. Catharines).
DASHES = re.compile(r"\s*[-‐‑‒–—―]\s*")


def _riding_key(column):
    for mark, by in (("—", " "), ("–", " "), ("-", " "), (".", "")):
        column = func.replace(column, mark, by)
    return unaccented(column)


def offices(session: Session, q: str, limit: int):
    """(person id, person, riding, party, jurisdiction code, rank): current seats for ridings containing `q`."""
    riding = _riding_key(ElectoralDistrict.name)
    typed = DASHES.sub(" ", q).replace(".", "")
    ranked = rank(riding, typed).label("rank")
    stmt = (
        select(Person.id, Person.full_name, ElectoralDistrict.name, ElectedOffice.party, Jurisdiction.code, ranked)
        .join(Person, Person.id == ElectedOffice.person_id)
        .join(ElectoralDistrict, ElectoralDistrict.id == ElectedOffice.district_id)
        .join(Jurisdiction, Jurisdiction.id == ElectedOffice.jurisdiction_id)
        .where(ElectedOffice.current.is_(True), _contains(riding, typed))
        .order_by(ranked, riding, Person.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def hashtag_of(q: str) -> str | None:
    """The hashtag a one-word search names ("mppchats" or "#MPPChats": "#mppchats"), or None."""
    word = q.strip().lstrip("#").lower()
    return "#" + word if word and len(word) <= 59 and not re.search(r"\s", word) else None


def _newest(condition, limit: int):
    """The ids of the newest `limit` interactions meeting `condition`, each arm read in its own best way."""
    return (
        select(Interaction.id)
        .where(Interaction.archived.is_(False), condition)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
        .subquery()
    )


def interactions(session: Session, q: str, limit: int):
    """(id, title, kind, occurred_at, rank): title or summary containing `q`, or tagged with it; newest first.
    Text and tag are separate arms, each its newest `limit`: a common tag is read newest first and stops
    early instead of gathering and sorting thousands of ids."""
    title = unaccented(Interaction.title)
    arms = [_newest(or_(_contains(title, q), _contains(unaccented(Interaction.summary), q)), limit)]
    tag = hashtag_of(q)
    if tag:
        tagged = select(InteractionHashtag.interaction_id).where(InteractionHashtag.tag == tag)
        arms.append(_newest(Interaction.id.in_(tagged), limit))
    found = union(*(select(arm.c.id) for arm in arms)).subquery()
    stmt = (
        select(
            Interaction.id, Interaction.title, Interaction.kind, Interaction.occurred_at, rank(title, q).label("rank")
        )
        .where(Interaction.id.in_(select(found.c.id)))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return session.execute(stmt).all()


def proposals(session: Session, q: str, limit: int):
    """(id, title, jurisdiction, rank): proposals whose title or jurisdiction contains `q`, or its code is `q`."""
    title = unaccented(Proposal.title)
    ranked = case((Jurisdiction.code == q.upper(), 0), else_=rank(title, q)).label("rank")
    stmt = (
        select(Proposal.id, Proposal.title, Jurisdiction.name, ranked)
        .join(Jurisdiction, Jurisdiction.id == Proposal.jurisdiction_id)
        .where(or_(_contains(title, q), _contains(unaccented(Jurisdiction.name), q), Jurisdiction.code == q.upper()))
        .order_by(ranked, title, Proposal.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def campaigns(session: Session, q: str, limit: int):
    """(id, name, slug, status, rank): name, hashtag or call to action containing `q`; live ones first."""
    name = unaccented(Campaign.name)
    ranked = rank(name, q).label("rank")
    stmt = (
        select(Campaign.id, Campaign.name, Campaign.slug, Campaign.status, ranked)
        .where(
            or_(
                _contains(name, q),
                _contains(unaccented(Campaign.hashtag), q),
                _contains(unaccented(Campaign.summary), q),
            )
        )
        .order_by(ranked, Campaign.status != "live", name, Campaign.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def members(session: Session, q: str, limit: int):
    """(id, name, email, rank): members whose name or email contains `q`, the exact email first.

    Each candidate's name is folded once (folding is the cost: some 15 µs a name on PostgreSQL), and at most
    CANDIDATES are ranked, so a common surname costs no more than a rare one; an exact email is always among
    them (its unique index)."""
    key = unaccented(User.name)
    matched = (
        select(User.id, User.name, User.email, key.label("key"))
        .where(User.role == "member", or_(_contains(key, q), contains_text(User.email, q)))
        .limit(CANDIDATES)
    )
    exact = select(User.id, User.name, User.email, key.label("key")).where(
        User.role == "member", User.email == q.lower()
    )
    found = union(matched.subquery().select(), exact).subquery()
    ranked = case((found.c.email == q.lower(), 0), else_=rank(found.c.key, q)).label("rank")
    stmt = (
        select(found.c.id, found.c.name, found.c.email, ranked).order_by(ranked, found.c.key, found.c.id).limit(limit)
    )
    return session.execute(stmt).all()
