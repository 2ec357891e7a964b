"""The asks scoreboard: ITPO's three asks, and where each stands in every province and territory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from crm.lib.errors import ValidationError
from crm.lib.i18n import N_, translate_data
from crm.proposals.models import ASK_STATUSES, Ask, AskStatus
from crm.reference import shipped
from crm.reference.models import Jurisdiction

# code, position, title, short title, the figure tracked for it (None: no figure applies);
# stored in English and translated where shown ({{ ask.title|tr }})
ASKS = (
    (
        "pra",
        1,
        N_("A Practice-Ready Assessment (PRA) program in every province, with more PRA spots"),
        N_("PRA program"),
        N_("PRA spots per year"),
    ),
    (
        "residency",
        2,
        N_("More residency positions open to internationally trained physicians"),
        N_("Residency positions"),
        N_("Residency positions open to ITPs"),
    ),
    (
        "clinical_assistant",
        3,
        N_("An official clinical assistant position that counts as recency of practice"),
        N_("Clinical assistant role"),
        None,
    ),
)
PRA_SOURCE = "itp_regulators_certification_pra.csv"


def seed_asks(session: Session) -> int:
    """The three asks; returns rows added (titles are kept up to date)."""
    existing = {ask.code: ask for ask in session.scalars(select(Ask))}
    added = 0
    for code, position, title, short_title, figure_label in ASKS:
        values = dict(position=position, title=title, short_title=short_title, figure_label=figure_label)
        ask = existing.get(code)
        if ask is None:
            session.add(Ask(code=code, **values))
            added += 1
        else:
            for key, value in values.items():
                if getattr(ask, key) != value:
                    setattr(ask, key, value)
    session.flush()
    return added


def seed_pra_statuses(session: Session) -> int:
    """Ask 1 is "operating" where the shipped data lists a PRA program, under that program's name.

    Only fills a jurisdiction that has no PRA status yet, so running it again (or after the committee's
    edits) changes nothing. Jurisdictions with no program listed get no row: absence from our data is
    not evidence that there is none.
    """
    pra = session.scalar(select(Ask).where(Ask.code == "pra"))
    jurisdictions = {j.code: j for j in session.scalars(select(Jurisdiction))}
    has_status = set(session.scalars(select(AskStatus.jurisdiction_id).where(AskStatus.ask_id == pra.id)))
    programs = [row for row in shipped.rows(PRA_SOURCE) if row["category"] == "pra-program"]
    added = 0
    for row in programs:
        jurisdiction = jurisdictions[row["jurisdiction"]]
        if jurisdiction.id in has_status:
            continue
        name = f"{row['name']} ({row['acronym']})" if row["acronym"] else row["name"]
        session.add(
            AskStatus(
                ask_id=pra.id,
                jurisdiction_id=jurisdiction.id,
                status="operating",
                program_name=name[:200],
                source_url=row["website"] or None,
                as_of=None,
                note=f"From ITPO's reference data ({PRA_SOURCE}): {row['role_or_notes']} "
                f"Sources seen: {row['source_seen']}.",
            )
        )
        has_status.add(jurisdiction.id)
        added += 1
    session.flush()
    return added


@dataclass
class ScoreboardRow:
    jurisdiction: Jurisdiction
    statuses: list[AskStatus | None]  # one per ask, in ask order


@dataclass
class Scoreboard:
    asks: list[Ask]
    rows: list[ScoreboardRow]


def scoreboard(session: Session) -> Scoreboard:
    """The current status of every ask in every province and territory, and at the federal level where one is
    recorded (three queries, whatever the history)."""
    asks = list(session.scalars(select(Ask).order_by(Ask.position)))
    federal_recorded = select(AskStatus.id).where(AskStatus.jurisdiction_id == Jurisdiction.id).exists()
    jurisdictions = list(  # the provinces and territories, then the federal level where a status is recorded
        session.scalars(
            select(Jurisdiction)
            .where((Jurisdiction.kind != "federal") | federal_recorded)
            .order_by(Jurisdiction.kind == "federal", Jurisdiction.name)
        )
    )
    newest = (select(func.max(AskStatus.id)).group_by(AskStatus.ask_id, AskStatus.jurisdiction_id)).scalar_subquery()
    current = {
        (s.ask_id, s.jurisdiction_id): s for s in session.scalars(select(AskStatus).where(AskStatus.id.in_(newest)))
    }
    rows = [ScoreboardRow(j, [current.get((ask.id, j.id)) for ask in asks]) for j in jurisdictions]
    return Scoreboard(asks=asks, rows=rows)


def ask_and_jurisdiction(session: Session, ask_code: str, jurisdiction_code: str) -> tuple[Ask, Jurisdiction] | None:
    """The ask and province or territory named in a URL; None for unknown or malformed codes."""
    if not (re.fullmatch(r"[a-z_]{1,30}", ask_code or "") and re.fullmatch(r"[A-Za-z]{2}", jurisdiction_code or "")):
        return None
    ask = session.scalar(select(Ask).where(Ask.code == ask_code))
    jurisdiction = session.scalar(
        select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code.upper(), Jurisdiction.kind != "federal")
    )
    return (ask, jurisdiction) if ask and jurisdiction else None


def status_history(session: Session, ask_id: int, jurisdiction_id: int) -> list[AskStatus]:
    """Every recorded status, newest (current) first, with who recorded it."""
    return list(
        session.scalars(
            select(AskStatus)
            .where(AskStatus.ask_id == ask_id, AskStatus.jurisdiction_id == jurisdiction_id)
            .options(joinedload(AskStatus.recorded_by))
            .order_by(AskStatus.id.desc())
        )
    )


def record_ask_status(
    session: Session,
    *,
    ask: Ask,
    jurisdiction: Jurisdiction,
    status: str,
    figure: int | None,
    program_name: str | None,
    source_url: str | None,
    as_of: date | None,
    note: str | None,
    recorded_by_id: int | None,
    today: date | None = None,
) -> AskStatus:
    """Add a new status row (the old ones stay as history); it becomes the current one."""
    if status not in dict(ASK_STATUSES):
        raise ValidationError("status", gettext("Choose one of the listed statuses."))
    if figure is not None:
        _check_figure(ask, figure)
    source_url = _web_address(source_url)
    if as_of and as_of > (today or date.today()):
        raise ValidationError("as_of", gettext("The as-of date cannot be in the future."))
    entry = AskStatus(
        ask_id=ask.id,
        jurisdiction_id=jurisdiction.id,
        status=status,
        figure=figure,
        program_name=(program_name or "").strip() or None,
        source_url=source_url,
        as_of=as_of,
        note=(note or "").strip() or None,
        recorded_by_id=recorded_by_id,
    )
    session.add(entry)
    session.flush()
    return entry


def _check_figure(ask: Ask, figure) -> None:
    """Refuse a figure that is not a whole number from 0, or one for an ask that tracks none."""
    if isinstance(figure, bool) or not isinstance(figure, int):
        raise ValidationError("figure", gettext("The figure must be a whole number, like 40."))
    if figure < 0:
        raise ValidationError("figure", gettext("The figure cannot be negative."))
    if ask.figure_label is None:
        raise ValidationError(
            "figure",
            gettext("No figure is tracked for “%(ask)s”; leave it empty.", ask=translate_data(ask.short_title)),
        )


def _web_address(source_url: str | None) -> str | None:
    """The source trimmed (None when empty); anything but an http(s) address is refused."""
    source_url = (source_url or "").strip() or None
    if source_url and (urlsplit(source_url).scheme not in ("http", "https") or not urlsplit(source_url).netloc):
        raise ValidationError(
            "source_url", gettext("The source must be a web address starting with https:// or http://.")
        )
    return source_url
