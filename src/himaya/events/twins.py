"""A birth that looks like one the registry holds already under another civil number: the same
birth reported by a second source, or twins. Never decided here: the worker sends it to a registrar."""

from __future__ import annotations

import polars as pl


def same_birth(b: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """`_twin`: a child of the mother's family born the birth's day, of its sex, whose given name does not
    differ from the birth's in a script both give (a second source's report of the same birth under
    another civil number looks so; twins mostly have names of their own)."""
    scripts = [c for c in ("given_name_ar", "given_name_en") if c in people.columns and c in b.columns]
    kin = people.select(pl.col("family_id").alias("_m_family"), pl.col("birth_date").alias("_born"),
                        pl.col("sex").alias("_sib_sex"), pl.col("person_id").alias("_sib"),
                        *(pl.col(c).alias(f"_sib_{c}") for c in scripts))  # fmt: skip
    pairs = b.select("id", "m_family_id", "event_date", "sex", "person_id", *scripts).join(
        kin, left_on=["m_family_id", "event_date"], right_on=["_m_family", "_born"]
    )
    differ = [
        pl.col(c).str.strip_chars().str.to_lowercase() != pl.col(f"_sib_{c}").str.strip_chars().str.to_lowercase()
        for c in scripts
    ]
    named_apart = pl.any_horizontal([d.fill_null(False) for d in differ]) if differ else pl.lit(False)
    same = pairs.filter(
        pl.col("_sib_sex") == pl.col("sex"), pl.col("_sib") != pl.col("person_id").fill_null(""), ~named_apart
    )
    return b.join(same.group_by("id").agg(pl.col("_sib").min().alias("_twin")), on="id", how="left")
