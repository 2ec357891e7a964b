"""Tables of the near-copy check (crm/campaigns/similarity.py): a MinHash signature and band per letter, and the
LSH band hashes that find a letter's look-alikes by index lookup."""

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db

BANDS = (
    ("personal", "Personal"),
    ("similar", "Similar to another letter"),
    ("near_copy", "Nearly the same as another letter"),
)


class LetterSignature(db.Model):
    """A sent letter's similarity: its band when sent, the closest earlier letter, and the MinHash of its story."""

    __tablename__ = "letter_signatures"
    __table_args__ = (Index("ix_letter_signatures_campaign_band", "campaign_id", "band"),)

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    band: Mapped[str] = mapped_column(String(10))  # a key of BANDS
    score: Mapped[int] = mapped_column(SmallInteger, default=0)  # estimated Jaccard × 100 with the closest letter
    closest_letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"), index=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: too short to compare, or erased


class LetterSimilarityBand(db.Model):
    """One LSH band of a letter's signature: letters sharing a (campaign, band, hash) are candidate look-alikes.

    The primary key is the lookup index, and holds the letter id, so a lookup reads the index alone."""

    __tablename__ = "letter_similarity_bands"
    __table_args__ = (Index("ix_letter_similarity_bands_letter_id", "letter_id"),)  # deletes by letter

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the letter's (deleted with it)
    band_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    band_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letter_signatures.letter_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
