"""Counts of members as ITPO may show them: none under 5, and none that subtraction could give away.
The rule and its limits: docs/design-notes.md, "members/small_counts.py"."""

from __future__ import annotations

from dataclasses import dataclass

SMALL_COUNT = 5  # member counts below this are never shown exactly, so no member can be singled out
FEWER = f"fewer than {SMALL_COUNT}"
WITHHELD = f"{SMALL_COUNT} or more"


def shown_count(count: int) -> str:
    """A single count of members as ITPO may publish it: exact from SMALL_COUNT up, else "fewer than 5"."""
    return str(count) if count >= SMALL_COUNT else FEWER


@dataclass(frozen=True)
class Cell:
    """One row of a protected table: `count` is None when the count is withheld, and `text` says how."""

    label: str
    count: int | None
    text: str


def _safe(small: int, ceilings: list[int], residual: int) -> bool:
    """True when each of `small` withheld counts under 5 has at least two values that fit what is shown.

    `residual`: what the withheld rows add up to (the total minus the rows shown: anyone can subtract);
    `ceilings`: the most each extra withheld row can hold (the least is 5).
    """
    if not small:
        return True
    others_least = (small - 1) + SMALL_COUNT * len(ceilings)
    others_most = (small - 1) * (SMALL_COUNT - 1) + sum(ceilings)
    least = max(1, residual - others_most)
    most = min(SMALL_COUNT - 1, residual - others_least)
    return most > least


def protect(rows: list[tuple[str, int]]) -> list[Cell] | None:
    """The rows (label, count ≥ 1) of a table whose total is shown, as they may be shown; None: withhold it all.
    How rows are chosen: docs/design-notes.md, "members/small_counts.py: protect"."""
    total = sum(count for _, count in rows)
    if total < SMALL_COUNT:
        return None
    small = sorted(label for label, count in rows if count < SMALL_COUNT)
    shown = sorted(((count, label) for label, count in rows if count >= SMALL_COUNT))
    extras = (2 if len(small) == 1 else 1) if small else 0
    extra, shown = shown[:extras], shown[extras:]
    # An extra row is below the smallest row still shown in (count, label) order; the reader knows it.
    ceilings = [
        (shown[0][0] if label < shown[0][1] else shown[0][0] - 1) if shown else total - len(small) for _, label in extra
    ]
    if not _safe(len(small), ceilings, total - sum(count for count, _ in shown)):
        return None
    cells = [Cell(label, count, str(count)) for count, label in sorted(shown, key=lambda row: (-row[0], row[1]))]
    withheld = [(label, FEWER) for label in small] + [(label, WITHHELD) for _, label in extra]
    return cells + [Cell(label, None, text) for label, text in sorted(withheld)]
