"""Synthetic careers (`himaya synth --insurance`): employers and the monthly declarations of wages
of a synthetic people table, from the law's first month to the month before `as_of`, for
`himaya insurance employers` and `himaya insurance declare` to load as they load an employer's.

Who is insured: the table's employed residents, each with the wage the registry holds in the last
month (so the declarations and the registry agree), and some Omanis not employed now whose job
ended in the window (the job security benefit's claimants). By sector: Omanis in government or the
private sector as NCSI's count of insured Omanis splits them, the better paid more often in
government (NCSI: most private-sector Omanis earn under RO 600, few civil servants do);
expatriates in the private sector, households (domestic workers) or government as NCSI's counts
of expatriate workers do. Wages by age: a year's raise each January, larger for the young, so a
career's earlier months earn less. Careers have gaps: young people start during the window, some
workers lose a job for a few months and most of them come back with another employer.

Employers: in the worker's wilayat, by sector, their sizes heavy-tailed (a few large, many small).
Vectorised (NumPy draws, Polars frames), and deterministic: the same seed gives the same files,
from a random stream of its own, so the people table is the same with or without careers.
`data/insurance.yaml` holds the published counts; `calibration` compares with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from himaya.core.periods import Period
from himaya.synth.assumptions import Bands, by_age

FIRST = Period(2024, 1)  # declarations start with the law in force (RD 52/2023)
SECTORS = ("private", "government", "household")
ACTIVITIES = ("Trading", "Construction", "Manufacturing", "Services", "Transport", "Hospitality", "Contracting")
STREAM = 16  # the careers' own random stream (issue 16), beside the people table's


@dataclass(frozen=True)
class CareerAssumptions:
    """The careers' assumptions (ASSUMED where no source is named: docs/synth.md)."""

    omani_government: float = 392_011 / 740_877  # NCSI 2024: insured Omanis in government
    expatriate_household: float = 0.172  # NCSI, end of 2019: expatriate workers in the domestic sector
    expatriate_government: float = 0.032
    sector_noise: float = 0.35  # how loosely a higher wage means government (log-wage noise)
    raise_by_age: Bands = ((0, 0.06), (30, 0.035), (45, 0.015), (55, 0.0))  # yearly, each January
    started_in_window: Bands = ((0, 0.6), (25, 0.25), (30, 0.08), (40, 0.03))  # hired during the window
    gap: Bands = ((0, 0.18), (30, 0.10), (45, 0.06))  # a spell without work in the window
    gap_months: float = 3.0  # the mean length of a gap
    new_employer_after_gap: float = 0.7
    lost_job: float = 0.10  # Omanis of 22 to 59 without work now whose job ended in the window
    minimum_wage: int = 325_000  # baisa: Omanis in the private sector
    employer_size: tuple[float, float, float] = (14.0, 400.0, 1.3)  # mean workers by sector (SECTORS)
    size_skew: float = 3.0  # employer index = n * u ** skew: a few large employers, many small


@dataclass(frozen=True)
class Careers:
    employers: pl.DataFrame  # cr_number, name, sector, wilayat
    lines: pl.DataFrame  # month (Date, its first day), cr_number, civil_number, wage (baisa), days


def months_before(as_of: date) -> list[Period]:
    """The months declared: the law's first month to the month before `as_of`'s."""
    last = Period.containing(as_of).shifted(-1)
    count = (last.year - FIRST.year) * 12 + last.month - FIRST.month + 1
    return [FIRST.shifted(i) for i in range(max(count, 0))]


def careers(people: pl.DataFrame, *, seed: int, as_of: date, assumptions: CareerAssumptions | None = None) -> Careers:
    """Employers and monthly lines for `people` (the generator's table, money in baisa)."""
    chosen = assumptions or CareerAssumptions()
    months = months_before(as_of)
    if not months:
        raise ValueError(f"--as-of {as_of}: no month to declare before it (the law's first month is {FIRST})")
    rng = np.random.default_rng([seed, STREAM])
    workers = _workers(rng, people, as_of, chosen)
    spells = _spells(rng, workers, len(months), chosen)
    employers, spells = _employers(rng, spells, chosen)
    return Careers(employers, _lines(rng, spells, months, chosen))


def _age(people: pl.DataFrame, as_of: date) -> np.ndarray:
    born = people["birth_date"]
    later = (born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)) > as_of.month * 100 + as_of.day
    return (as_of.year - born.dt.year().cast(pl.Int32) - later.cast(pl.Int32)).to_numpy()


def _workers(rng: np.random.Generator, people: pl.DataFrame, as_of: date, a: CareerAssumptions) -> pl.DataFrame:
    """civil_number, wilayat, omani, age, wage (the last month's, baisa), now (employed at the end),
    sector: the employed residents, and the Omanis whose job ended in the window."""
    age = np.clip(_age(people, as_of), 0, 110)
    omani = (people["nationality"] == "OM").to_numpy()
    placed = people["wilayat"].is_not_null().to_numpy() & people["resident"].fill_null(False).to_numpy()
    employed = people["employed"].fill_null(False).to_numpy() & (people["wage"].fill_null(0).to_numpy() > 0)
    card = people["disability_card"].fill_null(False).to_numpy()
    n = people.height
    lost = placed & omani & ~employed & ~card & (age >= 22) & (age <= 59) & (rng.random(n) < a.lost_job)
    past_wage = np.maximum(np.rint(650_000 * np.exp(0.45 * rng.standard_normal(n))), a.minimum_wage).astype(np.int64)
    wage = np.where(employed, people["wage"].fill_null(0).to_numpy(), past_wage)
    chosen = placed & (employed | lost)
    sector = _sector(rng, omani, wage, lost, chosen, a)
    return pl.DataFrame(
        {
            "civil_number": people["person_id"],
            "wilayat": people["wilayat"],
            "omani": omani,
            "age": age.astype(np.int64),
            "wage": wage.astype(np.int64),
            "now": employed,
            "sector": np.array(SECTORS)[sector],
        }
    ).filter(pl.Series(chosen))


def _sector(
    rng: np.random.Generator,
    omani: np.ndarray,
    wage: np.ndarray,
    lost: np.ndarray,
    chosen: np.ndarray,
    a: CareerAssumptions,
) -> np.ndarray:
    """Index into SECTORS: Omanis ranked by log-wage with noise, the top share in government (one
    who lost a job was in the private sector: job security is its branch); expatriates drawn."""
    n = omani.size
    sector = np.zeros(n, dtype=np.int64)
    ranked = chosen & omani & ~lost
    score = np.log(np.maximum(wage, 1)) + a.sector_noise * rng.standard_normal(n)
    count = round(a.omani_government * int(ranked.sum()))  # of those insured now
    if ranked.any() and count:
        top = np.flatnonzero(ranked)[np.argsort(-score[ranked], kind="stable")[:count]]
        sector[top] = 1
    draw = rng.random(n)
    expatriate = chosen & ~omani
    sector[expatriate & (draw < a.expatriate_household)] = 2
    sector[
        expatriate & (draw >= a.expatriate_household) & (draw < a.expatriate_household + a.expatriate_government)
    ] = 1
    return sector


def _spells(rng: np.random.Generator, workers: pl.DataFrame, months: int, a: CareerAssumptions) -> pl.DataFrame:
    """Each worker's first and last month (indices), and a gap (its first month, its length; 0: none)."""
    n, age, now = workers.height, workers["age"].to_numpy(), workers["now"].to_numpy()
    last = np.where(now, months - 1, rng.integers(0, max(months - 1, 1), n))
    late = rng.random(n) < by_age(a.started_in_window)[age]
    first = np.where(late, np.floor(rng.random(n) * (last + 1)).astype(np.int64), 0)
    first = np.minimum(np.maximum(first, months - 1 - (age - 18) * 12), last)  # not declared before 18 (about)
    room = last - first - 1  # months a gap may take: after the first, before the last
    gapped = now & (room >= 1) & (rng.random(n) < by_age(a.gap)[age])
    gap_start = first + 1 + np.floor(rng.random(n) * np.maximum(room, 1)).astype(np.int64)
    length = np.minimum(rng.geometric(1 / a.gap_months, n), last - gap_start)
    return workers.with_columns(
        pl.Series("first", first, pl.Int64),
        pl.Series("last", last, pl.Int64),
        pl.Series("gap_start", np.where(gapped, gap_start, -1), pl.Int64),
        pl.Series("gap_length", np.where(gapped, np.maximum(length, 0), 0), pl.Int64),
        pl.Series("moves", gapped & (rng.random(n) < a.new_employer_after_gap)),
        pl.Series("u", rng.random(n)),
        pl.Series("v", rng.random(n)),
    )


def _employers(
    rng: np.random.Generator, spells: pl.DataFrame, a: CareerAssumptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each worker's employer (and the next one of a worker who moves after a gap), drawn among the
    employers of its sector and wilayat; the register of the employers with a worker."""
    sizes = pl.DataFrame({"sector": SECTORS, "size": a.employer_size})
    grouped = (
        spells.join(sizes, on="sector")
        .with_columns(pl.len().over("sector", "wilayat").alias("group"))
        .with_columns((pl.col("group") / pl.col("size")).ceil().cast(pl.Int64).clip(1).alias("employers"))
        .with_columns(
            (pl.col("employers") * pl.col("u") ** a.size_skew).floor().cast(pl.Int64).alias("at"),
            (pl.col("employers") * pl.col("v") ** a.size_skew).floor().cast(pl.Int64).alias("next_at"),
        )
    )
    keys = (
        pl.concat(
            [
                grouped.select("sector", "wilayat", "at"),
                grouped.select("sector", "wilayat", pl.col("next_at").alias("at")),
            ]
        )
        .unique()
        .sort("sector", "wilayat", "at")
    )
    numbers = rng.choice(9_000_000, size=keys.height, replace=False) + 1_000_000  # 7 digits, never a leading 0
    activity = np.array(ACTIVITIES)[rng.integers(0, len(ACTIVITIES), keys.height)]
    register = keys.with_columns(
        pl.Series("cr_number", numbers.astype(str)),
        pl.int_range(1, pl.len() + 1).over("sector", "wilayat").alias("rank"),
        pl.Series("activity", activity),
    ).with_columns(_name().alias("name"))
    named = register.select("sector", "wilayat", "at", "cr_number")
    workers = grouped.join(named, on=["sector", "wilayat", "at"]).join(
        named.rename({"at": "next_at", "cr_number": "next_cr"}), on=["sector", "wilayat", "next_at"]
    )
    used = pl.concat([workers["cr_number"], workers.filter(pl.col("moves"))["next_cr"]]).unique()
    return register.filter(pl.col("cr_number").is_in(used.implode())).select(
        "cr_number", "name", "sector", "wilayat"
    ).sort("cr_number"), workers


def _name() -> pl.Expr:
    number = pl.col("rank").cast(pl.String).str.zfill(4)
    return (
        pl.when(pl.col("sector") == "government")
        .then(pl.format("Government unit {} {}", pl.col("wilayat"), number))
        .when(pl.col("sector") == "household")
        .then(pl.format("Household {} {}", pl.col("wilayat"), number))
        .otherwise(pl.format("{} {} {} LLC", pl.col("wilayat"), pl.col("activity"), number))
    )


def _lines(rng: np.random.Generator, spells: pl.DataFrame, months: list[Period], a: CareerAssumptions) -> pl.DataFrame:
    """One line per worker and month worked: the employer of the month, the wage carried back from
    the last month by the yearly raises, the days (a part of the month when a job starts or ends)."""
    calendar = pl.DataFrame(
        {
            "m": range(len(months)),
            "month": [p.start for p in months],
            "length": [p.end.day for p in months],
            "year": [p.year for p in months],
        },
        schema={"m": pl.Int64, "month": pl.Date, "length": pl.Int64, "year": pl.Int64},
    )
    raises = pl.DataFrame(
        {"age": range(111), "raise": by_age(a.raise_by_age)}, schema={"age": pl.Int64, "raise": pl.Float64}
    )
    gap_end = pl.col("gap_start") + pl.col("gap_length")
    in_gap = (pl.col("m") >= pl.col("gap_start")) & (pl.col("m") < gap_end)
    kept = ("civil_number", "omani", "age", "wage", "now", "sector", "first", "last", "gap_start", "gap_length")
    rows = (
        spells.select(*kept, "moves", "cr_number", "next_cr")  # what a line needs, before a row per month
        .with_columns(pl.int_ranges("first", pl.col("last") + 1).alias("m"))
        .explode("m")
        .filter(~in_gap)
        .join(calendar, on="m")
        .join(raises, on="age")
    )
    edge = (pl.col("m") == pl.col("first")) & (pl.col("first") > 0) | (pl.col("m") == pl.col("last")) & ~pl.col("now")
    edge = edge | (pl.col("m") == gap_end) | (pl.col("m") == pl.col("gap_start") - 1)
    years_back = pl.lit(months[-1].year) - pl.col("year")
    carried = (pl.col("wage") / (1 + pl.col("raise")).pow(years_back)).round(0).cast(pl.Int64)
    floor = pl.when(pl.col("omani") & (pl.col("sector") == "private")).then(a.minimum_wage).otherwise(1)
    draws = pl.Series("draw", rng.random(rows.height))
    return (
        rows.with_columns(draws)
        .with_columns(
            pl.when(pl.col("moves") & (pl.col("m") >= gap_end))
            .then("next_cr")
            .otherwise("cr_number")
            .alias("cr_number"),
            pl.max_horizontal(carried, floor).alias("wage"),
            pl.when(edge)
            .then((pl.col("draw") * pl.col("length")).floor().cast(pl.Int64) + 1)
            .otherwise("length")
            .alias("days"),
        )
        .select("month", "cr_number", "civil_number", "wage", "days")
        .sort("month", "cr_number", "civil_number")
    )
