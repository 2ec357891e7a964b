"""Small-count protection: no count under 5 is shown, and none can be worked out from what is shown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.members.small_counts import FEWER, WITHHELD, protect, shown_count
from tests.members.attacker import assert_nothing_can_be_worked_out, possible_values


def _shown(rows):
    cells = protect(rows)
    return None if cells is None else [(cell.label, cell.text) for cell in cells]


def test_a_lone_small_row_cannot_be_had_by_subtracting_the_rest_from_the_total():
    rows = [("Ajax", 40), ("Barrie", 12), ("Brampton", 9), ("Cambridge", 3)]
    shown = _shown(rows)
    assert shown == [("Ajax", "40"), ("Barrie", WITHHELD), ("Brampton", WITHHELD), ("Cambridge", FEWER)]
    assert possible_values(shown, 64)["Cambridge"] == {1, 2, 3, 4}


def test_without_protection_the_subtraction_works():
    """What the rule prevents: the naive table gives the small count away."""
    rows = [("Ajax", 40), ("Barrie", 12), ("Brampton", 9), ("Cambridge", 3)]
    naive = [(label, shown_count(count)) for label, count in rows]
    assert 64 - sum(int(text) for _, text in naive if text != FEWER) == 3


def test_withheld_rows_follow_the_shown_ones_by_label_whatever_their_size():
    shown = _shown([("Zed", 1), ("Alpha", 2), ("Mid", 50), ("Big", 80), ("Small", 6)])
    assert [label for label, _ in shown] == ["Big", "Mid", "Alpha", "Small", "Zed"]
    assert dict(shown) == {"Big": "80", "Mid": "50", "Alpha": FEWER, "Small": WITHHELD, "Zed": FEWER}


def test_a_table_that_would_still_give_a_count_away_is_withheld_whole():
    """One member in one row and exactly five in the only other: '5 or more' would still pin the 1."""
    assert protect([("A", 1), ("B", 5)]) is None
    assert protect([("A", 2), ("B", 2)]) is None  # a total under 5 is itself withheld


def test_a_table_without_small_rows_is_shown_as_it_is():
    assert _shown([("A", 7), ("B", 5)]) == [("A", "7"), ("B", "5")]


rows_strategy = st.lists(
    st.tuples(st.sampled_from("ABCDEF"), st.integers(1, 14)), min_size=1, max_size=5, unique_by=lambda row: row[0]
)


@settings(max_examples=300, deadline=None)
@given(rows_strategy)
def test_no_table_lets_a_reader_work_out_a_count_under_five(rows):
    shown = _shown(rows)
    if shown is None:
        return
    total = sum(count for _, count in rows)
    assert all(text in (FEWER, WITHHELD) or int(text) >= 5 for _, text in shown)
    assert_nothing_can_be_worked_out(shown, total)
