"""Personal, not copied: is a member's story nearly the same as letters already sent in the campaign?

Why it works this way: docs/design-notes.md, "campaigns/similarity.py".
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.orm import Session

from crm.campaigns.similarity_models import BANDS as BAND_LABELS
from crm.campaigns.similarity_models import LetterSignature, LetterSimilarityBand
from crm.members.privacy import MemberDataSource, register_member_data
from crm.members.small_counts import SMALL_COUNT, shown_count

if TYPE_CHECKING:
    import numpy as np

SHINGLE_WORDS = 3
NUM_HASHES = 128
BANDS, ROWS = 32, 4
MIN_WORDS = 8
SIMILAR, NEAR_COPY = 0.35, 0.50
CANDIDATES_PER_BAND = 16  # a band shared by thousands of letters (a pasted story) still yields a bounded list
SCORED_CANDIDATES = 24  # signatures read and compared, those sharing the most bands first
MAX_MATCHES = 5
_SEED = 20260421

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    """An earlier letter like this text: its id and estimated Jaccard similarity (0–1)."""

    letter_id: int
    score: float


@dataclass(frozen=True)
class SimilarityResult:
    """The band ("personal", "similar", "near_copy"), the best score (0–1), and the closest letters, best first."""

    band: str
    score: float = 0.0
    matches: list[Match] = field(default_factory=list)

    @property
    def label(self) -> str:
        return dict(BAND_LABELS)[self.band]


PERSONAL = SimilarityResult("personal")


def words(text: str) -> list[str]:
    """The text's words, case- and accent-folded, punctuation dropped ("Québec, Ont." → québec → quebec, ont)."""
    folded = (text or "").casefold()
    if not folded.isascii():  # ASCII has no accents to fold: the per-character pass is skipped (design notes)
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(folded.replace("_", " "))


@cache
def _hash_family() -> tuple[np.ndarray, np.ndarray]:
    """The MinHash family's odd multipliers and addends, the same in every process (a fixed seed). Numpy is
    imported here, not at start: the worker and most pages never need its 12 MB."""
    import numpy as np

    generator = np.random.default_rng(_SEED)
    multipliers = generator.integers(1, 2**63, size=NUM_HASHES, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return multipliers, generator.integers(0, 2**63, size=NUM_HASHES, dtype=np.uint64)


def shingle_hashes(tokens: list[str]) -> np.ndarray:
    """32-bit hashes of the distinct word 3-shingles (blake2b: the same in every process, unlike hash())."""
    import numpy as np

    shingles = {" ".join(tokens[i : i + SHINGLE_WORDS]) for i in range(max(1, len(tokens) - SHINGLE_WORDS + 1))}
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") for s in shingles),
        dtype=np.uint64,
        count=len(shingles),
    )


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (NUM_HASHES uint32) of the text's shingles; None under MIN_WORDS words."""
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return None
    import numpy as np

    hashes = shingle_hashes(tokens)
    multipliers, addends = _hash_family()
    # Multiply-shift hashing: (a·x + b) mod 2⁶⁴, top 32 bits; a universal family for 32-bit x.
    mixed = (multipliers[:, None] * hashes[None, :] + addends[:, None]) >> np.uint64(32)
    return mixed.min(axis=1).astype(np.uint32)


def band_hashes(sig: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band of ROWS signature values (a bigint column)."""
    raw = sig.astype("<u4").tobytes()
    size = ROWS * 4
    return [
        int.from_bytes(hashlib.blake2b(raw[i * size : (i + 1) * size], digest_size=8).digest(), "little", signed=True)
        for i in range(BANDS)
    ]


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(data, dtype="<u4")


def band_for(score: float) -> str:
    return "near_copy" if score >= NEAR_COPY else "similar" if score >= SIMILAR else "personal"


def _candidates_sql(postgres: bool = False) -> str:
    """The letters sharing a band with the signature, those sharing the most first, at most CANDIDATES_PER_BAND a
    band: one statement for every band. PostgreSQL takes the band hashes as one array (:band_hashes); SQLite as
    :h0 … :h31 (built once: composing 32 SQLAlchemy selects per call cost 13 ms)."""
    if postgres:  # short enough for psycopg to keep its parsed form (the UNION below is not: 5.5 KB)
        found = (
            "SELECT b.letter_id FROM unnest(CAST(:band_hashes AS bigint[])) WITH ORDINALITY AS h(hash, n)"
            " CROSS JOIN LATERAL (SELECT letter_id FROM letter_similarity_bands WHERE campaign_id = :campaign_id"
            f" AND band_no = h.n - 1 AND band_hash = h.hash LIMIT {CANDIDATES_PER_BAND}) AS b"
        )
    else:
        found = " UNION ALL ".join(
            f"SELECT letter_id FROM (SELECT letter_id FROM letter_similarity_bands WHERE campaign_id = :campaign_id"
            f" AND band_no = {number} AND band_hash = :h{number} LIMIT {CANDIDATES_PER_BAND}) AS band_{number}"
            for number in range(BANDS)
        )
    return (
        f"SELECT letter_id FROM ({found}) AS found GROUP BY letter_id"
        f" ORDER BY count(*) DESC, letter_id LIMIT {SCORED_CANDIDATES}"
    )


INSERT_BANDS = text(
    "INSERT INTO letter_similarity_bands (campaign_id, band_no, band_hash, letter_id) VALUES "
    + ", ".join(f"(:campaign_id, {number}, :h{number}, :letter_id)" for number in range(BANDS))
)


def candidate_signatures_sql(*, exclude_writer: bool, postgres: bool) -> str:
    """The stored signatures of the candidates (letter_id, signature); with `exclude_writer`, not the letters of
    :user_id (a member's own letters are not copies of anyone's)."""
    join, exclude = ("", "")
    if exclude_writer:
        join, exclude = " JOIN letters l ON l.id = s.letter_id", " AND l.user_id != :user_id"
    return (
        f"SELECT s.letter_id, s.signature FROM letter_signatures s{join}"
        f" WHERE s.letter_id IN ({_candidates_sql(postgres)}) AND s.signature IS NOT NULL{exclude}"
    )


def band_values(sig: np.ndarray, *, postgres: bool) -> dict:
    """The band hashes as the candidates' statement takes them on this database."""
    return hash_values(band_hashes(sig), postgres=postgres)


def hash_values(hashes: list[int], *, postgres: bool) -> dict:
    """Band hashes as statement parameters: one array on PostgreSQL (:band_hashes), else :h0 … :h31."""
    return {"band_hashes": hashes} if postgres else {f"h{number}": value for number, value in enumerate(hashes)}


def score(sig: np.ndarray, stored) -> SimilarityResult:
    """The band of the closest of the stored (letter_id, signature) candidates, and the closest ones, best first."""
    import numpy as np

    stored = list(stored)
    if not stored:
        return PERSONAL
    # every candidate at once: one comparison of a (candidates x NUM_HASHES) matrix with the signature
    matrix = np.frombuffer(b"".join(data for _, data in stored), dtype="<u4").reshape(len(stored), -1)
    shares = (matrix == sig).mean(axis=1)
    scored = sorted(
        (Match(letter_id, round(float(share), 3)) for (letter_id, _), share in zip(stored, shares, strict=True)),
        key=lambda m: (-m.score, m.letter_id),
    )
    matches = [m for m in scored if m.score >= SIMILAR][:MAX_MATCHES]
    best = scored[0].score
    return SimilarityResult(band_for(best), best, matches)


def _compare(session: Session, campaign_id: int, sig: np.ndarray, exclude_user_id: int | None) -> SimilarityResult:
    """Score the candidates on their stored signatures, read with the candidates in one statement; the band of
    the best. A member's own letters are left out of the candidates found."""
    postgres = session.get_bind().dialect.name == "postgresql"
    values = band_values(sig, postgres=postgres) | {"campaign_id": campaign_id, "user_id": exclude_user_id}
    query = _candidates_statement(exclude_user_id is not None, postgres)
    return score(sig, session.execute(query, values))


@cache
def _candidates_statement(exclude_writer: bool, postgres: bool):
    return text(candidate_signatures_sql(exclude_writer=exclude_writer, postgres=postgres))


def check_text(
    session: Session, campaign_id: int, text: str, *, exclude_user_id: int | None = None
) -> SimilarityResult:
    """How like the campaign's sent letters this personal text is (read-only: the preview's check)."""
    sig = signature(text)
    return PERSONAL if sig is None else _compare(session, campaign_id, sig, exclude_user_id)


_INSERT_SIGNATURE = LetterSignature.__table__.insert()  # built once, run with each letter's values


def record_letter(session: Session, letter_id: int, campaign_id: int, text: str, user_id: int | None = None) -> str:
    """Classify a letter against the letters sent before it and write its signature and bands in the caller's
    transaction (never commits). Call it in the send, once the letter is flushed, with its writer (else read);
    returns its band."""
    from crm.campaigns.models import Letter

    sig = signature(text)
    if sig is None:
        result = PERSONAL
    else:
        if user_id is None:
            user_id = session.scalar(select(Letter.user_id).where(Letter.id == letter_id))
        result = _compare(session, campaign_id, sig, user_id)
    session.execute(_INSERT_SIGNATURE, check_row(letter_id, campaign_id, result, sig))
    if sig is not None:
        values = hash_values(band_hashes(sig), postgres=False)  # INSERT_BANDS takes :h0 … :h31 on both
        session.execute(INSERT_BANDS, {"campaign_id": campaign_id, "letter_id": letter_id, **values})
    return result.band


def check_row(letter_id: int, campaign_id: int, result: SimilarityResult, sig: np.ndarray | None) -> dict:
    """The letter's check as its letter_signatures row: band, score, closest letter and signature."""
    return {
        "letter_id": letter_id,
        "campaign_id": campaign_id,
        "band": result.band,
        "score": round(result.score * 100),
        "closest_letter_id": result.matches[0].letter_id if result.matches else None,
        "signature": None if sig is None else to_bytes(sig),
    }


def letter_band(session: Session, letter_id: int) -> LetterSignature | None:
    """A letter's similarity row (band, score, closest letter) for the lead's letter page; None if never checked."""
    return session.get(LetterSignature, letter_id)


def forget_words(session: Session, letter_ids) -> None:
    """Drop the signatures and bands (derived from the words) of these letters; their band stays, as a count."""
    session.execute(delete(LetterSimilarityBand).where(LetterSimilarityBand.letter_id.in_(letter_ids)))
    session.execute(
        LetterSignature.__table__.update().where(LetterSignature.letter_id.in_(letter_ids)).values(signature=None)
    )


# --- for leads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandRow:
    """One riding or MPP: letters checked, near-copies among them, and the share, as ITPO may show them."""

    label: str
    letters: int
    near_copies: int
    similar: int

    @property
    def shown_letters(self) -> str:
        return shown_count(self.letters)

    @property
    def shown_near_copies(self) -> str:
        return shown_count(self.near_copies)

    @property
    def shown_similar(self) -> str:
        return shown_count(self.similar)

    @property
    def shown_share(self) -> str:
        """The share of near-copies; a bound when either count is under 5 (else it would give the count away)."""
        if self.letters < SMALL_COUNT:
            return "—"
        if self.near_copies < SMALL_COUNT:
            return f"under {math.ceil(100 * SMALL_COUNT / self.letters)}%"
        return f"{100 * self.near_copies / self.letters:.0f}%"


@dataclass(frozen=True)
class BandCounts:
    """A campaign's letters by band, and per riding and per MPP, most near-copies first."""

    total: BandRow
    by_riding: list[BandRow]
    by_mpp: list[BandRow]


def band_counts(session: Session, campaign_id: int) -> BandCounts:
    """Letters and near-copies per riding and per MPP (person) in a campaign, for the lead's view."""
    from crm.campaigns.models import Letter
    from crm.reference.models import ElectoralDistrict
    from crm.stakeholders.models import Person

    near = func.coalesce(func.sum(case((LetterSignature.band == "near_copy", 1), else_=0)), 0)
    similar = func.coalesce(func.sum(case((LetterSignature.band == "similar", 1), else_=0)), 0)
    base = (
        select(func.count(), near, similar)
        .select_from(LetterSignature)
        .join(Letter, Letter.id == LetterSignature.letter_id)
        .where(LetterSignature.campaign_id == campaign_id)
    )
    total = BandRow("All letters", *session.execute(base).one())

    def grouped(label, *joins) -> list[BandRow]:
        query = base.add_columns(label)
        for target, on in joins:
            query = query.outerjoin(target, on)
        rows = [
            BandRow(name or "No riding", count, near_count, similar_count)
            for count, near_count, similar_count, name in session.execute(query.group_by(label))
        ]
        return sorted(rows, key=lambda row: (-row.near_copies, -row.letters, row.label))

    return BandCounts(
        total,
        grouped(ElectoralDistrict.name, (ElectoralDistrict, ElectoralDistrict.id == Letter.district_id)),
        grouped(Person.full_name, (Person, Person.id == Letter.person_id)),
    )


# --- member data ----------------------------------------------------------------------------------


def _export(session: Session, user_id: int) -> list[dict]:
    from crm.campaigns.models import Letter

    rows = session.execute(
        select(LetterSignature.letter_id, LetterSignature.band, LetterSignature.score)
        .join(Letter, Letter.id == LetterSignature.letter_id)
        .where(Letter.user_id == user_id)
        .order_by(LetterSignature.letter_id)
    )
    return [{"letter": letter_id, "band": band, "similarity_percent": score} for letter_id, band, score in rows]


def _erase(session: Session, user_id: int) -> None:
    """The letter's words go (crm/campaigns/privacy.py), so do their hashes; the band stays, as a count."""
    from crm.campaigns.models import Letter

    forget_words(session, select(Letter.id).where(Letter.user_id == user_id))


register_member_data(MemberDataSource("letter_similarity", _export, _erase))
