"""A large, random but well-formed people table for the benchmarks (not calibrated: see `himaya synth`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from himaya.policy.packs.oman.schema import DISABILITY_CATEGORIES, MARITAL_STATUSES


def make_people(persons: int, *, seed: int = 2026) -> pl.DataFrame:
    """About `persons` rows in families of 1 to 9, with Parquet-native types (Date, Boolean, Decimal)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 10, size=persons // 4)
    sizes = sizes[np.cumsum(sizes) <= persons]
    family = np.repeat(np.arange(sizes.size), sizes)
    n = family.size
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    position = np.arange(n) - np.repeat(first, sizes)
    relationship = np.where(
        position == 0, "head", np.where(position == 1, "spouse", np.where(rng.random(n) < 0.95, "child", "other"))
    )
    adult = position < 2
    age_days = np.where(adult, rng.integers(18 * 365, 95 * 365, n), rng.integers(0, 40 * 365, n))
    birth = (np.datetime64(date(2026, 1, 1)) - age_days.astype("timedelta64[D]")).astype("datetime64[D]")
    omani = np.repeat(rng.random(sizes.size) < 0.57, sizes)
    disabled = rng.random(n) < 0.016

    def money(share: float, high: int) -> pl.Series:
        baisa = np.where(rng.random(n) < share, rng.integers(0, high, n), 0)
        return pl.Series(baisa).cast(pl.Decimal(12, 0)) / 1000

    frame = pl.DataFrame(
        {
            "person_id": pl.int_range(10_000_000, 10_000_000 + n, eager=True).cast(pl.String),
            "family_id": pl.Series(family).cast(pl.String).str.zfill(8),
            "relationship": relationship,
            "sex": np.where(
                position == 0,
                np.where(rng.random(n) < 0.8, "M", "F"),
                np.where(position == 1, "F", rng.choice(["F", "M"], n)),
            ),
            "birth_date": birth,
            "death_date": np.where(
                rng.random(n) < 0.002, np.maximum(birth, np.datetime64("2025-12-15")), np.datetime64("NaT")
            ),
            "nationality": np.where(omani, "OM", "IN"),
            "resident": rng.random(n) < 0.98,
            "marital_status": np.where(adult, rng.choice(MARITAL_STATUSES, n, p=[0.05, 0.8, 0.08, 0.07]), "single"),
            "has_children": adult & (rng.random(n) < 0.7),
            "employed": adult & (rng.random(n) < 0.5),
            "disability_category": np.where(disabled, rng.choice(DISABILITY_CATEGORIES, n), ""),
            "disability_card": disabled & (rng.random(n) < 0.9),
            "father_deceased": ~adult & (rng.random(n) < 0.02),
            "mother_deceased": ~adult & (rng.random(n) < 0.01),
            "wage": money(0.3, 2_000_000),
            "pension": money(0.08, 1_500_000),
            "survivor_pension": money(0.03, 200_000),
            "alimony": money(0.01, 150_000),
            "other_income": money(0.05, 300_000),
            "earning_capacity": money(0.1, 300_000),
        }
    )
    frame = frame.with_columns(pl.when(pl.col("disability_category") != "").then(pl.col("disability_category")))
    return frame.with_columns(
        pl.col(c).cast(pl.Decimal(12, 3))
        for c in ("wage", "pension", "survivor_pension", "alimony", "other_income", "earning_capacity")
    )


def people_file(persons: int, folder: Path, *, text: bool = False) -> Path:
    """Write (once) and return a Parquet file of about `persons` rows; `text` stores every column as text."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"people-{persons}{'-text' if text else ''}.parquet"
    if not path.exists():
        frame = make_people(persons)
        if text:
            frame = frame.with_columns(pl.all().cast(pl.String))
        frame.write_parquet(path)
    return path
