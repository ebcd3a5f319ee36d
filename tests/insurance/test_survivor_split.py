"""`survivors.split_again`, without a store: who leaves a survivor pension when, and what the others
are paid from the next month, by the law's sharing table (or, with `share_again` false, as before)."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.insurance.pension_terms import SharingTable, leaving, sharing_table
from himaya.insurance.survivors import split_again
from himaya.policy.packs import load_pack

TREE = load_pack().parameters
JULY = date(2026, 7, 1)


def _open(*members: tuple[int, str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"id": i, "person_key": i, "civil_number": c, "group": g, "share": "x", "amount": a, "valid_from": JULY}
            for i, c, g, a in members
        ],
        schema={"id": pl.Int64, "person_key": pl.Int64, "civil_number": pl.String, "group": pl.String,
                "share": pl.String, "amount": pl.Int64, "valid_from": pl.Date},
    )  # fmt: skip


def _law(day: date) -> tuple[SharingTable, bool]:
    return sharing_table(TREE, day), leaving(TREE, day).share_again


def _lapse(day: date) -> tuple[SharingTable, bool]:
    return sharing_table(TREE, day), False


WIDOWS_CHILD = _open((1, "w1", "widows", 25_000), (2, "w2", "widows", 25_000), (3, "c1", "children", 50_000))


def test_the_shares_are_split_again_from_the_next_month() -> None:
    split = split_again(WIDOWS_CHILD, {"w2": date(2026, 9, 5)}, 100_000, _law)
    assert split.ended == ((1, date(2026, 9, 30)), (2, date(2026, 9, 30)), (3, date(2026, 9, 30)))
    assert split.new.select("civil_number", "share", "amount", "valid_from").rows() == [
        ("w1", "1/2", 50_000, date(2026, 10, 1)),
        ("c1", "1/2", 50_000, date(2026, 10, 1)),
    ]
    assert split.last is None


def test_without_sharing_again_the_leavers_share_lapses() -> None:
    split = split_again(WIDOWS_CHILD, {"w2": date(2026, 9, 5)}, 100_000, _lapse)
    assert split.ended == ((2, date(2026, 9, 30)),) and split.new.is_empty()


def test_leavers_of_several_months_and_the_last_one() -> None:
    left = {"w2": date(2026, 9, 5), "c1": date(2026, 11, 20), "w1": date(2027, 1, 2)}
    split = split_again(WIDOWS_CHILD, left, 100_000, _law)
    rows = split.new.select("civil_number", "amount", "valid_from", "valid_to").rows()
    assert rows == [
        ("w1", 50_000, date(2026, 10, 1), date(2026, 11, 30)),
        ("c1", 50_000, date(2026, 10, 1), date(2026, 11, 30)),
        ("w1", 100_000, date(2026, 12, 1), date(2027, 1, 31)),  # the widow alone: the whole pension
    ]
    assert split.last == date(2027, 1, 31)  # no survivor left after January


def test_a_survivor_who_left_before_the_pension_started_was_never_paid() -> None:
    split = split_again(WIDOWS_CHILD, {"w2": date(2026, 6, 20)}, 100_000, _law)
    assert (2, date(2026, 6, 30)) in split.ended  # the day before July: never paid
    assert set(split.new["valid_from"].to_list()) == {JULY}  # the others' shares from the start
    assert dict(split.ended)[1] == date(2026, 6, 30)
