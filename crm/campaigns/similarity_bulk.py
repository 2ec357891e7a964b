"""Signatures for many letters at once (demo data, the benchmark's million letters): classified in memory in the
order given, as `record_letter` would one by one, then written with crm/lib/bulk.py (COPY on PostgreSQL)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crm.campaigns import similarity
from crm.campaigns.similarity_models import LetterSignature, LetterSimilarityBand
from crm.lib.bulk import insert_rows

if TYPE_CHECKING:
    import numpy as np


class _CampaignIndex:
    """One campaign's bands in memory: (band, hash) → the first CANDIDATES_PER_BAND letters, like the table's lookup."""

    def __init__(self):
        self.buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.signatures: dict[int, np.ndarray] = {}

    def classify(self, sig: np.ndarray, hashes: list[int]) -> tuple[str, float, int | None]:
        import numpy as np  # imported here: the worker and most pages never need numpy

        hits = Counter(letter for key in enumerate(hashes) for letter in self.buckets.get(key, ()))
        scored = [
            (float(np.mean(self.signatures[letter] == sig)), letter)
            for letter, _ in hits.most_common(similarity.SCORED_CANDIDATES)
        ]
        score, closest = max(scored, key=lambda pair: (pair[0], -pair[1]), default=(0.0, None))
        return similarity.band_for(score), score, closest if score >= similarity.SIMILAR else None

    def add(self, letter_id: int, sig: np.ndarray, hashes: list[int]) -> None:
        self.signatures[letter_id] = sig
        for key in enumerate(hashes):
            bucket = self.buckets[key]
            if len(bucket) < similarity.CANDIDATES_PER_BAND:
                bucket.append(letter_id)


def record_letters(session: Session, letters, chunk: int = 5000, classify: bool = True) -> Counter:
    """Store signatures and bands for (letter_id, campaign_id, text) in sending order; flushes. Counts by band.

    `classify=False` files every letter as personal without comparing (a benchmark's filler: no index in memory)."""
    indexes: dict[int, _CampaignIndex] = defaultdict(_CampaignIndex)
    bands: Counter = Counter()
    signature_rows, band_rows = [], []
    for letter_id, campaign_id, text in letters:
        sig = similarity.signature(text)
        band, score, closest = "personal", 0.0, None
        if sig is not None:
            hashes = similarity.band_hashes(sig)
            if classify:
                band, score, closest = indexes[campaign_id].classify(sig, hashes)
                indexes[campaign_id].add(letter_id, sig, hashes)
            band_rows += [
                {"campaign_id": campaign_id, "band_no": number, "band_hash": value, "letter_id": letter_id}
                for number, value in enumerate(hashes)
            ]
        bands[band] += 1
        signature_rows.append(
            {
                "letter_id": letter_id,
                "campaign_id": campaign_id,
                "band": band,
                "score": round(score * 100),
                "closest_letter_id": closest,
                "signature": None if sig is None else similarity.to_bytes(sig),
            }
        )
        if len(signature_rows) >= chunk:
            _write(session, signature_rows, band_rows)
            signature_rows, band_rows = [], []
    _write(session, signature_rows, band_rows)
    return bands


def _write(session: Session, signature_rows: list[dict], band_rows: list[dict]) -> None:
    insert_rows(session, LetterSignature.__table__, signature_rows)
    insert_rows(session, LetterSimilarityBand.__table__, band_rows)


def add_demo_signatures(session: Session, campaign_ids: list[int], seed: int = 21, copied: float = 0.03) -> Counter:
    """Demo letters' stories as signatures (the bodies stay as they are): most personal, `copied` of them an
    earlier letter's story with 0 to 4 words changed, so the lead's near-copies page has something to show."""
    import random

    from sqlalchemy import select

    from crm.campaigns.models import Letter
    from crm.campaigns.similarity_stories import edited, story

    rng = random.Random(seed)  # its own, so the rest of the demo data stays as it was
    rows = session.execute(
        select(Letter.id, Letter.campaign_id)
        .where(Letter.campaign_id.in_(campaign_ids))
        .order_by(Letter.campaign_id, Letter.created_at, Letter.id)
    ).all()
    earlier: dict[int, list[str]] = defaultdict(list)

    def text_for(campaign_id: int) -> str:
        if earlier[campaign_id] and rng.random() < copied:
            return edited(rng.choice(earlier[campaign_id]), rng.randint(0, 4), rng)
        earlier[campaign_id].append(story(rng))
        return earlier[campaign_id][-1]

    return record_letters(session, ((letter_id, campaign_id, text_for(campaign_id)) for letter_id, campaign_id in rows))
