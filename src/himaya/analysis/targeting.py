"""Targeting errors: who each design reaches, against who is poor by income before transfers.

A person is *poor* when their family's cash income before transfers, per adult equivalent, is below
the poverty line (the same test as the poverty headcount); a person is *reached* when their family
receives any transfer of the design (a benefit of a member, or a family benefit). Person-weighted:

- exclusion error: the share of the poor who are not reached (the poor a design misses);
- inclusion error: the share of those reached who are not poor (the non-poor a design pays);
- poor's share of spending: the share of the design's money that goes to poor families.

On a synthetic population the incomes are the true ones (the proxy-means-test score is drawn from
them with an error), so the errors are those of the design, not of the measurement of income.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from himaya.core.money import Currency
from himaya.core.text import Text

DESIGNS = {
    "baseline": Text("Today's scheme", "النظام الحالي"),
    "reform": Text("Reform", "الإصلاح"),
}


def targeting(families: pl.LazyFrame, *, line: float, elasticity: float) -> pl.DataFrame:
    """One row per design. `families`: one row per family with members living in the country, with
    `size` (those members), `__before_income` and `__{design}_family_transfers`."""
    per_equivalent = pl.col("__before_income").cast(pl.Float64) / pl.col("size").cast(pl.Float64).pow(elasticity)
    poor = per_equivalent < line
    size = pl.col("size").cast(pl.Int64)
    figures = []
    for design in DESIGNS:
        money = pl.col(f"__{design}_family_transfers")
        reached = money > 0
        figures += [
            size.filter(reached).sum().alias(f"{design}.reached"),
            size.filter(poor & ~reached).sum().alias(f"{design}.poor_missed"),
            size.filter(~poor & reached).sum().alias(f"{design}.non_poor_reached"),
            money.sum().cast(pl.Int64).alias(f"{design}.money"),
            money.filter(poor).sum().cast(pl.Int64).alias(f"{design}.money_to_poor"),
        ]
    row = families.select(size.sum().alias("persons"), size.filter(poor).sum().alias("poor"), *figures).collect()
    values = row.row(0, named=True) if row.height else {}
    persons, poor_count = int(values.get("persons") or 0), int(values.get("poor") or 0)
    rows = []
    for design, name in DESIGNS.items():
        count = int(values.get(f"{design}.reached") or 0)
        missed = int(values.get(f"{design}.poor_missed") or 0)
        wrong = int(values.get(f"{design}.non_poor_reached") or 0)
        spent = int(values.get(f"{design}.money") or 0)
        rows.append(
            {
                "design": design,
                "name_en": name.en,
                "name_ar": name.ar,
                "persons": persons,
                "poor": poor_count,
                "reached": count,
                "poor_reached": poor_count - missed,
                "non_poor_reached": wrong,
                "exclusion_error": missed / poor_count if poor_count else 0.0,
                "inclusion_error": wrong / count if count else 0.0,
                "poor_share_of_spending": int(values.get(f"{design}.money_to_poor") or 0) / spent if spent else 0.0,
            }
        )
    return pl.DataFrame(rows)


def in_currency(document: Any, currency: Currency) -> Any:
    """A JSON document of the analysis with its amounts' keys named in the currency's smallest unit:
    the figures are computed as `..._baisa` (Oman's, the first pack's), and written `..._dinar` for
    Iraq; Oman's documents are unchanged."""
    suffix = f"_{currency.smallest}"
    if isinstance(document, dict):
        return {
            (key.replace("_baisa", suffix) if isinstance(key, str) else key): in_currency(value, currency)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [in_currency(item, currency) for item in document]
    return document
