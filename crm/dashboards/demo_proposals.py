"""The demo's proposals and asks: a Proposal to Ontario with two published versions (a PDF on each), meetings
that presented them, every ask recorded for every province and territory, and the federal row the reference
data has (the national PRA framework). Called by `crm.dashboards.demo.load_demo`; flushes, never commits."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crm.interactions.models import Interaction
from crm.proposals import files
from crm.proposals.asks import PRA_SOURCE
from crm.proposals.models import Ask, AskStatus, Proposal, ProposalVersion
from crm.reference import shipped
from crm.reference.models import Jurisdiction

VERSIONS = (
    (
        400,
        "First version.",
        "Ontario should open more Practice-Ready Assessment spots, more residency positions for internationally "
        "trained physicians, and an official clinical assistant role that counts as recency of practice.",
    ),
    (
        120,
        "Adds the figures from the 2025 CaRMS match and a costed plan for 100 more PRA spots a year.",
        "Ontario should fund 100 more Practice-Ready Assessment spots a year, open 75 more residency positions "
        "to internationally trained physicians, and create an official clinical assistant role that counts as "
        "recency of practice. The 2025 CaRMS match left most of them unmatched.",
    ),
)
# Where an ask stands where the reference data says nothing: the demo's picks, by weight.
DEMO_STATUSES = (("none", 30), ("under_discussion", 35), ("announced", 20), ("operating", 10), ("expanded", 5))
PRESENTED_SHARE = 3  # one Ontario meeting in this many, after a version is published, presented it


def load_proposals(session: Session, rng: random.Random, today: date, author_id: int | None) -> dict[str, int]:
    """Add the Ontario proposal, its citing meetings and the asks' statuses; returns counts added."""
    ontario = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "ON"))
    versions = _ontario_proposal(session, ontario, today, author_id)
    cited = _cite_in_meetings(session, ontario.id, versions)
    statuses = _record_every_ask(session, rng, today) + _federal_row(session)
    return {"proposal_versions": len(versions), "meetings_citing_a_version": cited, "ask_statuses": statuses}


def _ontario_proposal(
    session: Session, ontario: Jurisdiction, today: date, author_id: int | None
) -> list[ProposalVersion]:
    """Two published versions, each with its own small PDF; none if Ontario already has a proposal."""
    if session.scalar(select(Proposal.id).where(Proposal.jurisdiction_id == ontario.id)) is not None:
        return []
    proposal = Proposal(jurisdiction_id=ontario.id, title="Proposal to Ontario", slug="ontario")
    session.add(proposal)
    session.flush()
    versions = []
    for number, (days_ago, summary, text) in enumerate(VERSIONS, start=1):
        body = f"## ITPO's asks of Ontario\n\n{text}\n\n— ITPO, version {number}"
        stored = files.store_pdf(demo_pdf(f"Proposal to Ontario, version {number}", [text]))
        published = datetime.combine(today - timedelta(days=days_ago), time(15))
        versions.append(
            ProposalVersion(
                proposal_id=proposal.id,
                number=number,
                body=body,
                change_summary=summary,
                pdf_filename=f"itpo-proposal-ontario-v{number}.pdf",
                pdf_size=stored.size,
                pdf_sha256=stored.sha256,
                author_id=author_id,
                created_at=published - timedelta(days=7),
                published_at=published,
            )
        )
    session.add_all(versions)
    session.flush()
    return versions


def _cite_in_meetings(session: Session, ontario_id: int, versions: list[ProposalVersion]) -> int:
    """Some Ontario meetings after each version's publication presented that version (the newest at the time)."""
    cited = 0
    for index, version in enumerate(versions):
        until = versions[index + 1].published_at if index + 1 < len(versions) else datetime.max
        meetings = select(Interaction.id).where(
            Interaction.kind == "meeting",
            Interaction.jurisdiction_id == ontario_id,
            Interaction.occurred_at >= version.published_at,
            Interaction.occurred_at < until,
            Interaction.id % PRESENTED_SHARE == 0,
        )
        cited += (
            session.execute(
                update(Interaction).where(Interaction.id.in_(meetings)).values(proposal_version_id=version.id)
            ).rowcount
            or 0
        )
    return cited


def _record_every_ask(session: Session, rng: random.Random, today: date) -> int:
    """A status for every ask in every province and territory that has none yet (the seed's PRA rows stay)."""
    asks = list(session.scalars(select(Ask).order_by(Ask.position)))
    places = list(session.scalars(select(Jurisdiction).where(Jurisdiction.kind != "federal")))
    recorded = {tuple(row) for row in session.execute(select(AskStatus.ask_id, AskStatus.jurisdiction_id))}
    labels, weights = zip(*DEMO_STATUSES, strict=True)
    rows = []
    for ask in asks:
        for place in places:
            if (ask.id, place.id) in recorded:
                continue
            status = rng.choices(labels, weights=weights)[0]
            figure = rng.randrange(5, 120) if ask.figure_label and status in ("operating", "expanded") else None
            rows.append(
                {
                    "ask_id": ask.id,
                    "jurisdiction_id": place.id,
                    "status": status,
                    "figure": figure,
                    "as_of": today - timedelta(days=rng.randrange(30, 300)),
                    "note": "Demo data: a plausible status, not a researched one.",
                }
            )
    if rows:
        session.execute(insert(AskStatus), rows)
    return len(rows)


def _federal_row(session: Session) -> int:
    """The national PRA framework the reference data lists for Canada (federal), as the PRA ask's federal row."""
    canada = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "CA"))
    pra = session.scalar(select(Ask).where(Ask.code == "pra"))
    source = next(
        (row for row in shipped.rows(PRA_SOURCE) if row["jurisdiction"] == "CA" and "Practice-Ready" in row["name"]),
        None,
    )
    if canada is None or pra is None or source is None:
        return 0
    name = f"{source['name']} ({source['acronym']})" if source["acronym"] else source["name"]
    session.add(
        AskStatus(
            ask_id=pra.id,
            jurisdiction_id=canada.id,
            status="operating",
            program_name=name[:200],
            source_url=source["website"] or None,
            note=f"From ITPO's reference data ({PRA_SOURCE}): {source['role_or_notes']}",
        )
    )
    session.flush()
    return 1


def demo_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text, a correct cross-reference table) written without a library."""
    lines = [title, ""] + [line for text in paragraphs for line in _wrap(text, 90)]
    text = "BT /F1 11 Tf 56 780 Td 14 TL " + " ".join(f"({_escaped(line)}) '" for line in lines) + " ET"
    stream = text.encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def _escaped(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
