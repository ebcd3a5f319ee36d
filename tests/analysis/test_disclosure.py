"""Disclosure control, attacked: no hidden count of a published table can be recovered from the
published entries and margins, on many random tables; with the secondary suppression switched
off, the same attack recovers them (so the attack can fail the test)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from himaya.analysis.disclosure import extended, primary, round_to, suppress
from tests.analysis.attack import determined, published, recovered

# Tables like the dashboard's: a few rows (programmes), up to a dozen columns (governorates), many
# small counts and zeros among larger ones.
counts = st.one_of(st.integers(0, 0), st.integers(1, 9), st.integers(10, 40), st.integers(41, 5_000))
tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 12).flatmap(
        lambda columns: st.lists(st.lists(counts, min_size=columns, max_size=columns), min_size=rows, max_size=rows)
    )
)
ATTACKS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ATTACKS
@given(tables)
def test_no_hidden_count_is_recovered(table: list[list[int]]) -> None:
    hidden = suppress(table, threshold=10)
    full = extended(table)
    assert primary(full, threshold=10) <= hidden  # every small count hidden
    shown = published(full, hidden)
    assert not determined(shown)
    assert not recovered(shown, full)


@ATTACKS
@given(tables)
def test_the_attack_succeeds_without_secondary_suppression(table: list[list[int]]) -> None:
    full = extended(table)
    hidden = suppress(table, threshold=10, secondary=False)
    lines = [[(i, j) for j in range(len(full[0]))] for i in range(len(full))]
    lines += [[(i, j) for i in range(len(full))] for j in range(len(full[0]))]
    assume(any(sum(e in hidden for e in line) == 1 for line in lines))
    shown = published(full, hidden)
    assert determined(shown)
    assert recovered(shown, full)


def test_a_bridge_between_two_hidden_groups_is_closed() -> None:
    # Rows 0-1 x columns 0-1 and rows 2-3 x columns 2-3 hide small counts in pairs; the lone
    # small count at (1, 2) joins them: every line has two hidden entries once its partners are
    # chosen, yet (1, 2) would be determined (a bridge) without the cycle check.
    table = [
        [5, 5, 90, 90],
        [5, 5, 5, 90],
        [90, 90, 5, 5],
        [90, 90, 5, 5],
    ]
    hidden = suppress(table, threshold=10)
    shown = published(extended(table), hidden)
    assert not determined(shown)
    assert not recovered(shown, extended(table))


def test_sensitive_entries_are_hidden_with_their_partners() -> None:
    table = [[0, 40, 25], [50, 60, 70]]  # (0, 0): no beneficiary, but paid to three (arrears)
    hidden = suppress(table, threshold=10, sensitive={(0, 0)})
    assert (0, 0) in hidden and len(hidden) >= 4
    assert not determined(published(extended(table), hidden))


def test_zeros_and_large_counts_are_published() -> None:
    assert suppress([[0, 10], [200, 0]], threshold=10) == frozenset()


@pytest.mark.parametrize("threshold", [0, -1])
def test_a_threshold_below_one_is_refused(threshold: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress([[1]], threshold=threshold)


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**7))
def test_rounding_is_to_the_nearest_multiple(value: int, unit: int) -> None:
    rounded = round_to(value, unit)
    assert rounded % unit == 0
    assert abs(rounded - value) * 2 <= unit
    assert round_to(-value, unit) == -rounded
