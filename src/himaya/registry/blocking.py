"""Blocking: which pairs of records are compared at all.

No single field is trusted: a pair is a candidate when it shares the sex and any one of these
keys, so a duplicate whose tribe was respelled is still found by its birth date and given name,
one whose birth date was mistyped by its names, one retyped in Latin by the skeletons (the same
key in both scripts), one with nothing else in common by its mobile, IBAN or a civil number one
digit away.

A block's pairs grow with the square of its size, and the blocks of the rules on a given name, a
tribe or a birth date grow with the registry: a million persons hold hundreds of men called
Mohammed of one tribe born in one month. A block of those rules over `split_block` records is
split: within it, two records meet only when they share a middle name (in either place; a record
with no middle name meets the whole block). Pairs then grow with the persons, not their square;
a duplicate whose middle names were changed too is still met by the other rules. A block (or a
part of a split one) over `max_block` records is left out and counted, so that the report shows
what was not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

_YEAR = pl.col("birth_date").dt.year().alias("birth_year")
_MONTH = pl.col("birth_date").dt.month().alias("birth_month")
# Two keys of two-year windows, so that birth years one apart always share one of them.
_EVEN_YEARS = (pl.col("birth_date").dt.year() // 2).alias("years")
_ODD_YEARS = ((pl.col("birth_date").dt.year() + 1) // 2).alias("years")
_MIDDLE_LOW = pl.min_horizontal("father_name_key", "grandfather_name_key").alias("middle_low")
_MIDDLE_HIGH = pl.max_horizontal("father_name_key", "grandfather_name_key").alias("middle_high")


def _known(column: str) -> pl.Expr:
    return pl.when(pl.col(column) > 0).then(pl.col(column)).alias(column)


def _masked(digit: int) -> pl.Expr:
    """The civil number with one digit (0: the last) set to zero, as a number: cheaper than text."""
    civil = pl.col("civil")
    high, low = 10 ** (digit + 1), 10**digit
    return pl.when(civil >= 0).then((civil // high) * high + civil % low).alias("masked")


# name -> the key's columns (beside the sex); a key with a null part is no key.
RULES: dict[str, list[pl.Expr]] = {
    "tribe+given+birth_month": [pl.col("family_name_key"), pl.col("given_name_key"), _YEAR, _MONTH],
    "four_names+years_even": [
        pl.col("family_name_key"),
        pl.col("given_name_key"),
        _MIDDLE_LOW,
        _MIDDLE_HIGH,
        _EVEN_YEARS,
    ],
    "four_names+years_odd": [
        pl.col("family_name_key"),
        pl.col("given_name_key"),
        _MIDDLE_LOW,
        _MIDDLE_HIGH,
        _ODD_YEARS,
    ],
    "birth_date+given": [pl.col("birth_date"), pl.col("given_name_key")],
    "birth_date+tribe": [pl.col("birth_date"), pl.col("family_name_key")],
    "birth_date+father+grandfather": [pl.col("birth_date"), _MIDDLE_LOW, _MIDDLE_HIGH],
    "mobile+given": [_known("mobile"), pl.col("given_name_key")],
    "iban": [_known("iban")],
    **{f"civil_number_digit_{8 - d}_masked": [_masked(d)] for d in range(8)},
}


# The rules whose blocks grow with the registry (a common given name and tribe, a birth date): a
# block over `split_block` records is split by the middle names (see `_split`).
SPLIT = ("tribe+given+birth_month", "birth_date+given", "birth_date+tribe")


@dataclass(frozen=True)
class Blocking:
    left: np.ndarray  # row numbers of the prepared frame, left < right
    right: np.ndarray
    per_rule: dict[str, int]  # pairs each rule made (before removing those another rule made)
    split_blocks: int  # blocks over split_block, split by the middle names
    skipped_blocks: int  # blocks (or parts of a split block) over max_block, not compared
    skipped_pairs: int

    @property
    def comparisons(self) -> int:
        return int(self.left.size)


@dataclass(frozen=True)
class _Made:
    pairs: pl.DataFrame  # left, right
    split: int
    skipped: int
    skipped_pairs: int


def _self_join(keyed: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    return (
        keyed.join(keyed.rename({"i": "j"}), on=names)
        .filter(pl.col("i") < pl.col("j"))
        .select(pl.col("i").alias("left"), pl.col("j").alias("right"))
    )


def _pairs_within(size: pl.Series) -> int:
    return int((size * (size - 1) // 2).sum()) if size.len() else 0


def _split(prepared: pl.DataFrame, keyed: pl.DataFrame, names: list[str], max_block: int) -> _Made:
    """Pairs of oversized blocks: two records meet when they share a middle name (the father's or
    the grandfather's, in either place: a swapped or a missing one still meets); a record with
    neither meets the whole block. Parts still over `max_block` are skipped and counted."""
    middles = prepared.select(
        "i", pl.concat_list("father_name_key", "grandfather_name_key").list.drop_nulls().list.unique().alias("m")
    )
    keyed = keyed.join(middles, on="i")
    known = keyed.filter(pl.col("m").list.len() > 0).explode("m")
    sizes = known.group_by([*names, "m"]).agg(pl.len().alias("size")).filter(pl.col("size") > 1)
    too_big = sizes.filter(pl.col("size") > max_block)
    known = known.join(sizes.filter(pl.col("size") <= max_block).select(*names, "m"), on=[*names, "m"])
    unknown = keyed.filter(pl.col("m").list.len() == 0).select("i", *names)
    whole = (
        unknown.join(keyed.select(pl.col("i").alias("j"), *names), on=names)
        .filter(pl.col("i") != pl.col("j"))
        .select(pl.min_horizontal("i", "j").alias("left"), pl.max_horizontal("i", "j").alias("right"))
    )
    pairs = pl.concat([_self_join(known, [*names, "m"]), whole]).unique()
    return _Made(pairs, 0, too_big.height, _pairs_within(too_big["size"]))


def _rule_pairs(prepared: pl.DataFrame, key: list[pl.Expr], *, split_block: int | None, max_block: int) -> _Made:
    keyed = prepared.select("i", "sex", *key).drop_nulls()
    names = [c for c in keyed.columns if c != "i"]
    sizes = keyed.group_by(names).agg(pl.len().alias("size")).filter(pl.col("size") > 1)
    limit = max_block if split_block is None else split_block
    oversized = sizes.filter(pl.col("size") > limit)
    pairs = _self_join(keyed.join(sizes.filter(pl.col("size") <= limit).select(names), on=names), names)
    if split_block is None or oversized.is_empty():
        return _Made(pairs, 0, oversized.height, _pairs_within(oversized["size"]))
    made = _split(prepared, keyed.join(oversized.select(names), on=names), names, max_block)
    return _Made(pl.concat([pairs, made.pairs]), oversized.height, made.skipped, made.skipped_pairs)


def candidate_pairs(prepared: pl.DataFrame, *, split_block: int = 8, max_block: int = 2_000) -> Blocking:
    """The union of every rule's pairs, each pair once."""
    found, per_rule, split, skipped_blocks, skipped_pairs = [], {}, 0, 0, 0
    for name, key in RULES.items():
        made = _rule_pairs(prepared, key, split_block=split_block if name in SPLIT else None, max_block=max_block)
        per_rule[name] = made.pairs.height
        split += made.split
        skipped_blocks += made.skipped
        skipped_pairs += made.skipped_pairs
        found.append(made.pairs)
    union = pl.concat(found).unique() if found else pl.DataFrame({"left": [], "right": []})
    union = union.sort("left", "right")
    return Blocking(
        left=union["left"].to_numpy(),
        right=union["right"].to_numpy(),
        per_rule=per_rule,
        split_blocks=split,
        skipped_blocks=skipped_blocks,
        skipped_pairs=skipped_pairs,
    )


def agreeing_pairs(
    prepared: pl.DataFrame, columns: list[pl.Expr], *, limit: int, seed: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Every pair of records of the same sex equal on `columns` (none of them unknown), or `limit`
    of them drawn at random, and how many there are: the pairs of a training session, found
    whatever the prediction's rules would compare."""
    keyed = prepared.select("i", "sex", *columns).drop_nulls()
    names = [c for c in keyed.columns if c != "i"]
    sizes = keyed.group_by(names).agg(pl.len().alias("size")).filter(pl.col("size") > 1)
    keyed = keyed.join(sizes.select(names), on=names)
    pairs = (
        keyed.join(keyed.rename({"i": "j"}), on=names)
        .filter(pl.col("i") < pl.col("j"))
        .select(pl.col("i").alias("left"), pl.col("j").alias("right"))
    )
    total = pairs.height
    if total > limit:
        pairs = pairs.sample(limit, seed=seed)
    return pairs["left"].to_numpy(), pairs["right"].to_numpy(), total
