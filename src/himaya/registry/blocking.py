"""Blocking: which pairs of records are compared at all.

No single field is trusted: a pair is a candidate when it shares the sex and any one of these
keys, so a duplicate whose tribe was respelled is still found by its birth date and given name,
one whose birth date was mistyped by its names, one retyped in Latin by the skeletons (the same
key in both scripts), one with nothing else in common by its mobile, IBAN or a civil number one
digit away. A block larger than `max_block` records is left out (its pairs grow with the square
of its size) and counted, so that the report shows what was not compared.
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


@dataclass(frozen=True)
class Blocking:
    left: np.ndarray  # row numbers of the prepared frame, left < right
    right: np.ndarray
    per_rule: dict[str, int]  # pairs each rule made (before removing those another rule made)
    skipped_blocks: int  # blocks over max_block, not compared
    skipped_pairs: int

    @property
    def comparisons(self) -> int:
        return int(self.left.size)


def _rule_pairs(prepared: pl.DataFrame, key: list[pl.Expr], max_block: int) -> tuple[pl.DataFrame, int, int]:
    keyed = prepared.select("i", "sex", *key).drop_nulls()
    names = [c for c in keyed.columns if c != "i"]
    sizes = keyed.group_by(names).agg(pl.len().alias("size")).filter(pl.col("size") > 1)
    too_big = sizes.filter(pl.col("size") > max_block)
    keyed = keyed.join(sizes.filter(pl.col("size") <= max_block).select(names), on=names)
    pairs = (
        keyed.join(keyed.rename({"i": "j"}), on=names)
        .filter(pl.col("i") < pl.col("j"))
        .select(pl.col("i").alias("left"), pl.col("j").alias("right"))
    )
    skipped = int((too_big["size"] * (too_big["size"] - 1) // 2).sum()) if too_big.height else 0
    return pairs, too_big.height, skipped


def candidate_pairs(prepared: pl.DataFrame, *, max_block: int = 2_000) -> Blocking:
    """The union of every rule's pairs, each pair once."""
    found, per_rule, skipped_blocks, skipped_pairs = [], {}, 0, 0
    for name, key in RULES.items():
        pairs, big, lost = _rule_pairs(prepared, key, max_block)
        per_rule[name] = pairs.height
        skipped_blocks += big
        skipped_pairs += lost
        found.append(pairs)
    union = pl.concat(found).unique() if found else pl.DataFrame({"left": [], "right": []})
    union = union.sort("left", "right")
    return Blocking(
        left=union["left"].to_numpy(),
        right=union["right"].to_numpy(),
        per_rule=per_rule,
        skipped_blocks=skipped_blocks,
        skipped_pairs=skipped_pairs,
    )
