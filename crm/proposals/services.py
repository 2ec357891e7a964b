"""Proposal services: create a proposal, draft/publish versions, compare them, and the "where it went" hook."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from blinker import Namespace
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from crm.lib.errors import ValidationError
from crm.lib.i18n import N_
from crm.proposals import files
from crm.proposals.models import Proposal, ProposalVersion
from crm.reference.models import Jurisdiction

PUBLISHED_MESSAGE = N_("Version %(number)s is published and can no longer change. Start a new version to make changes.")


def slugify(text: str) -> str:
    """'Newfoundland and Labrador' → 'newfoundland-and-labrador' (accents dropped)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "proposal"


def create_proposal(session: Session, *, jurisdiction_id: int, title: str | None, author_id: int | None) -> Proposal:
    """A jurisdiction's proposal with an empty draft v1; one proposal per jurisdiction."""
    jurisdiction = session.get(Jurisdiction, jurisdiction_id)
    if jurisdiction is None:
        raise ValidationError("jurisdiction_id", gettext("Choose a province or territory."))
    if session.scalar(select(Proposal.id).where(Proposal.jurisdiction_id == jurisdiction_id)) is not None:
        raise ValidationError(
            "jurisdiction_id",
            gettext(
                "%(place)s already has a proposal; open it and start a new version instead.", place=jurisdiction.name
            ),
        )
    proposal = Proposal(
        jurisdiction_id=jurisdiction_id,
        title=(title or "").strip() or f"Proposal to {jurisdiction.name}",
        slug=slugify(jurisdiction.name.replace("(federal)", "")),
    )
    session.add(proposal)
    session.flush()
    session.add(
        ProposalVersion(
            proposal_id=proposal.id, number=1, body="", change_summary="First version.", author_id=author_id
        )
    )
    session.flush()
    return proposal


def draft_of(session: Session, proposal_id: int) -> ProposalVersion | None:
    """The proposal's unpublished version, if one is being written."""
    return session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal_id, ProposalVersion.published_at.is_(None)
        )
    )


def start_next_version(session: Session, proposal_id: int, *, author_id: int | None) -> ProposalVersion:
    """A new draft numbered after the last version, starting from its body. One draft at a time."""
    # Lock the proposal row (PostgreSQL): two people starting a version at once get 3 and a refusal.
    proposal = session.scalar(select(Proposal).where(Proposal.id == proposal_id).with_for_update())
    if proposal is None:
        raise ValidationError(None, gettext("That proposal does not exist."))
    draft = draft_of(session, proposal_id)
    if draft is not None:
        raise ValidationError(
            None, gettext("Version %(number)s is already a draft: finish or publish it first.", number=draft.number)
        )
    latest = session.scalar(
        select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal_id)
        .order_by(ProposalVersion.number.desc())
        .limit(1)
    )
    version = ProposalVersion(
        proposal_id=proposal_id,
        number=(latest.number + 1) if latest else 1,
        body=latest.body if latest else "",
        change_summary="",
        author_id=author_id,
    )
    session.add(version)
    session.flush()
    return version


def _lock(session: Session, version: ProposalVersion) -> None:
    """Re-read the version FOR UPDATE (PostgreSQL), so an edit racing a publish sees that it was published."""
    if version.id is not None:
        session.refresh(version, with_for_update=True)


def update_draft(
    session: Session,
    version: ProposalVersion,
    *,
    body: str,
    change_summary: str,
    pdf_data: bytes | None = None,
    pdf_filename: str | None = None,
    remove_pdf: bool = False,
    author_id: int | None = None,
) -> ProposalVersion:
    """Change a draft's body, summary and PDF. A published version is refused (start a new version)."""
    _lock(session, version)
    if version.is_published:
        raise ValidationError(None, gettext(PUBLISHED_MESSAGE, number=version.number))
    if pdf_data is not None:
        stored = files.store_pdf(pdf_data)  # raises ValidationError("pdf", …) for a fake or oversize file
        version.pdf_sha256, version.pdf_size = stored.sha256, stored.size
        version.pdf_filename = files.clean_filename(pdf_filename)
    elif remove_pdf:
        version.pdf_sha256 = version.pdf_size = version.pdf_filename = None
    version.body = body.replace("\r\n", "\n")
    version.change_summary = change_summary.strip()
    if author_id is not None:
        version.author_id = author_id
    session.flush()
    return version


def publish_version(session: Session, version: ProposalVersion) -> ProposalVersion:
    """Freeze a draft. It needs a body, and (after v1) a summary of what changed."""
    _lock(session, version)
    if version.is_published:
        raise ValidationError(None, gettext("Version %(number)s is already published.", number=version.number))
    if not version.body.strip():
        raise ValidationError("body", gettext("Write the proposal before publishing it."))
    if version.number > 1 and not version.change_summary.strip():
        raise ValidationError(
            "change_summary", gettext("Say what changed since the previous version before publishing.")
        )
    version.published_at = datetime.utcnow()
    session.flush()
    return version


def proposals_with_latest(session: Session, *, published_only: bool) -> list[tuple[Proposal, ProposalVersion | None]]:
    """Every proposal (ordered by jurisdiction name) with its newest (published) version, in two queries."""
    newest = select(ProposalVersion.proposal_id, func.max(ProposalVersion.number).label("number"))
    if published_only:
        newest = newest.where(ProposalVersion.published_at.is_not(None))
    newest = newest.group_by(ProposalVersion.proposal_id).subquery()
    latest = {
        v.proposal_id: v
        for v in session.scalars(
            select(ProposalVersion).join(
                newest,
                (newest.c.proposal_id == ProposalVersion.proposal_id) & (newest.c.number == ProposalVersion.number),
            )
        )
    }
    proposals = session.scalars(
        select(Proposal)
        .join(Proposal.jurisdiction)
        .options(joinedload(Proposal.jurisdiction))
        .order_by(Jurisdiction.name)
    ).all()
    rows = [(p, latest.get(p.id)) for p in proposals]
    return [row for row in rows if row[1] is not None] if published_only else rows


def proposal_by_slug(session: Session, slug: str) -> Proposal | None:
    """The proposal at /proposals/<slug>; None for anything that is not a slug (so no odd bytes reach SQL)."""
    if not re.fullmatch(r"[a-z0-9-]{1,80}", slug or ""):
        return None
    return session.scalar(select(Proposal).where(Proposal.slug == slug).options(joinedload(Proposal.jurisdiction)))


def versions_of(session: Session, proposal_id: int, *, published_only: bool = False) -> list[ProposalVersion]:
    """A proposal's versions, newest first, with their authors."""
    stmt = (
        select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal_id)
        .options(joinedload(ProposalVersion.author))
        .order_by(ProposalVersion.number.desc())
    )
    if published_only:
        stmt = stmt.where(ProposalVersion.published_at.is_not(None))
    return list(session.scalars(stmt))


def version_by_number(session: Session, proposal_id: int, number: int) -> ProposalVersion | None:
    return session.scalar(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id, ProposalVersion.number == number)
    )


def versions_for_jurisdiction(session: Session, jurisdiction_id: int | None) -> list[ProposalVersion]:
    """For the interaction form: the published versions a meeting in this jurisdiction could have presented.

    Newest first, with `.proposal` loaded; use `version_choice_label` for the option text. With no
    jurisdiction, every published version (jurisdiction by jurisdiction).
    """
    stmt = (
        select(ProposalVersion)
        .join(ProposalVersion.proposal)
        .join(Proposal.jurisdiction)
        .where(ProposalVersion.published_at.is_not(None))
        .options(joinedload(ProposalVersion.proposal).joinedload(Proposal.jurisdiction))
        .order_by(Jurisdiction.name, ProposalVersion.number.desc())
    )
    if jurisdiction_id is not None:
        stmt = stmt.where(Proposal.jurisdiction_id == jurisdiction_id)
    return list(session.scalars(stmt))


def presentable_version(session: Session, version_id: int, jurisdiction_id: int | None) -> ProposalVersion:
    """For the interaction service: the version a meeting says it presented, if that is allowed.

    Raises ValidationError("proposal_version_id") unless it is a published version of a proposal to that
    jurisdiction (any jurisdiction when None): drafts were never handed to anyone.
    """
    version = session.get(ProposalVersion, version_id)
    if (
        version is None
        or not version.is_published
        or (jurisdiction_id is not None and version.proposal.jurisdiction_id != jurisdiction_id)
    ):
        raise ValidationError(
            "proposal_version_id", gettext("Choose a published version of this jurisdiction's proposal.")
        )
    return version


def version_choice_label(version: ProposalVersion) -> str:
    """'Proposal to Ontario, version 3 (published 2026-11-24)'."""
    return gettext("%(title)s (published %(day)s)", title=version.title, day=f"{version.published_at:%Y-%m-%d}")


def version_groups(session: Session, jurisdiction_id: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """A version picker's choices (`forms.VersionField`): per proposal, by its title, its published versions,
    newest first ("Version 3, published 2026-11-24")."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for version in versions_for_jurisdiction(session, jurisdiction_id):
        label = gettext(
            "Version %(number)s, published %(day)s", number=version.number, day=f"{version.published_at:%Y-%m-%d}"
        )
        groups.setdefault(version.proposal.title, []).append((str(version.id), label))
    return groups


# --- Where it went -------------------------------------------------------------------------------
# Proposals sit below interactions and campaigns (they hold the foreign key to proposal_versions),
# so this package cannot ask them. Instead it sends a signal; a higher package subscribes with
#     where_it_went.connect(receiver)   # receiver(version, session=...) -> list[Presentation]
# and the version page lists every Presentation returned (templates/proposals/_where_it_went.html).
signals = Namespace()
where_it_went = signals.signal("proposal-version-where-it-went")


@dataclass(frozen=True)
class Presentation:
    """One place a version went: a meeting where it was presented, or a campaign that cites it."""

    when: date | datetime
    kind: str  # e.g. "meeting", "call", "campaign"
    title: str
    url: str | None = None
    recipients: tuple[str, ...] = field(default_factory=tuple)  # e.g. the MPPs who received it


def where_it_went_for(session: Session, version: ProposalVersion) -> list[Presentation]:
    """Everything subscribers report for this version, newest first (empty until interactions subscribe)."""
    found: list[Presentation] = []
    for _receiver, result in where_it_went.send(version, session=session):
        found.extend(result or [])

    def moment(item: Presentation) -> datetime:
        return item.when if isinstance(item.when, datetime) else datetime.combine(item.when, time())

    return sorted(found, key=moment, reverse=True)


# --- Compare -------------------------------------------------------------------------------------
@dataclass
class DiffRow:
    """One row of a side-by-side comparison. Each side is a list of (text, changed) segments."""

    kind: str  # equal, delete, insert, replace
    left_number: int | None
    left: list[tuple[str, bool]]
    right_number: int | None
    right: list[tuple[str, bool]]


def _word_segments(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(("".join(old_words[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(("".join(new_words[j1:j2]), tag != "equal"))
    return left, right


def compare_bodies(old: str, new: str) -> list[DiffRow]:
    """Line-by-line side-by-side diff; changed lines also mark the changed words. Text stays raw (escape it)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("equal", i1 + k + 1, [(old_lines[i1 + k], False)], j1 + k + 1, [(new_lines[j1 + k], False)])
                for k in range(i2 - i1)
            ]
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left_line = old_lines[i] if i < i2 else None
            right_line = new_lines[j] if j < j2 else None
            if left_line is not None and right_line is not None:
                left, right = _word_segments(left_line, right_line)
                rows.append(DiffRow("replace", i + 1, left, j + 1, right))
            elif left_line is not None:
                rows.append(DiffRow("delete", i + 1, [(left_line, True)], None, []))
            else:
                rows.append(DiffRow("insert", None, [], j + 1, [(right_line, True)]))
    return rows


def diff_counts(rows: list[DiffRow]) -> dict[str, int]:
    """How many lines were added, removed and changed."""
    counts = {"insert": 0, "delete": 0, "replace": 0}
    for row in rows:
        if row.kind in counts:
            counts[row.kind] += 1
    return counts
