"""Benchmark: the old-age pensions of many insured persons at once, in memory (the vectorised core of
`himaya insurance pensions`).

    .venv/bin/python bench/pensions.py [--persons 100000] [--months 240]

Synthetic careers: each person born between 1956 and 1990, half women, with `--months` months
declared (one job a month, one month in twenty a part month, wages drawn around 600 OMR, some
above the ceiling). Timed: the month table (ceilings, coverage, revaluation), the pensionable
months (capped, prorated, summed per month), and the pensions with every step. Wall and CPU time
are printed with the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

import numpy as np
import polars as pl

from himaya.core.periods import Period
from himaya.insurance.pension import Kind, pensionable, pensions
from himaya.insurance.pension_terms import month_table, pension_terms
from himaya.policy.packs import load_pack


def careers(persons: int, months: int, seed: int = 16) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.char.mod("%08d", np.arange(10_000_000, 10_000_000 + persons))
    people = pl.DataFrame(
        {
            "civil_number": ids,
            "sex": rng.choice(["F", "M"], persons),
            "birth_date": pl.Series(
                rng.integers(date(1956, 1, 1).toordinal(), date(1990, 1, 1).toordinal(), persons)
            ).map_elements(date.fromordinal, return_dtype=pl.Date),
            "death_date": pl.Series([None] * persons, dtype=pl.Date),
        }
    )
    last = Period(2026, 10)
    starts = [last.shifted(-i).start for i in range(months)]
    lines = pl.DataFrame(
        {
            "civil_number": np.repeat(ids, months),
            "month": pl.Series(starts * persons, dtype=pl.Date),
            "wage": (rng.lognormal(np.log(600), 0.6, persons * months) * 1000).astype(np.int64),
            "days": np.where(rng.random(persons * months) < 0.05, 15, 28),
            "omani": np.ones(persons * months, dtype=bool),
        }
    )
    return people, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=240)
    args = parser.parse_args()
    people, lines = careers(args.persons, args.months)
    tree, day = load_pack().parameters, date(2026, 11, 30)
    wall, cpu = time.perf_counter(), time.process_time()
    table = month_table(tree, lines["month"].unique().to_list(), day)
    months = pensionable(lines, table)
    result = pensions(people, months, pension_terms(tree, day), Kind.OLD_AGE, day)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    entitled = result.filter(pl.col("status") == "entitled")
    print(
        f"{args.persons:,} persons x {args.months} months ({lines.height:,} lines): pensions in {wall:.2f} s wall, "
        f"{cpu:.2f} s CPU ({lines.height / wall:,.0f} lines/s); {entitled.height:,} entitled, "
        f"{int(entitled['pension'].sum()) / 1000:,.3f} OMR a month; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
