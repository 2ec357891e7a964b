"""A reader who tries to work out the counts a page withholds: from the total, the counts shown, what each
marker means, and the rule that chose them (it re-runs `protect` on every table that fits what it sees)."""

from __future__ import annotations

import itertools

from crm.members.small_counts import FEWER, SMALL_COUNT, WITHHELD, Cell, protect


def possible_values(shown: list[tuple[str, str]], total: int) -> dict[str, set[int]]:
    """For each row shown as "fewer than 5": every count it could hold, given the table as shown and its total."""
    exact = [(label, int(text)) for label, text in shown if text not in (FEWER, WITHHELD)]
    hidden = [(label, text) for label, text in shown if text in (FEWER, WITHHELD)]
    residual = total - sum(count for _, count in exact)
    seen = [Cell(label, int(text) if text not in (FEWER, WITHHELD) else None, text) for label, text in shown]
    found: dict[str, set[int]] = {label: set() for label, text in hidden if text == FEWER}
    if not hidden:
        return found
    ranges = [range(1, SMALL_COUNT) if text == FEWER else range(SMALL_COUNT, residual + 1) for _, text in hidden[:-1]]
    for values in itertools.product(*ranges):
        last = residual - sum(values)
        last_ok = (1 <= last < SMALL_COUNT) if hidden[-1][1] == FEWER else last >= SMALL_COUNT
        if not last_ok:
            continue
        guess = dict(zip([label for label, _ in hidden], [*values, last], strict=False))
        if protect(exact + list(guess.items())) != seen:  # the rule would have shown this table differently
            continue
        for label in found:
            found[label].add(guess[label])
    return found


def assert_nothing_can_be_worked_out(shown: list[tuple[str, str]], total: int) -> None:
    for label, values in possible_values(shown, total).items():
        assert len(values) >= 2, f"{label!r} can be worked out: it must be {values}"
