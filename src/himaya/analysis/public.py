"""The public statistics as published: each month's table of programmes by governorates with its
margins, under disclosure control (`disclosure.py`), named in English and Arabic.

`publish` takes the month's figures summed by the store (one row per month, programme and
governorate that has any) and returns one row per entry of each month's extended table: the
programmes' rows and an "all" row, the governorates' columns and an "all" column. A hidden entry
has neither its count nor its amount (null) and `suppressed` set. Filtering by programme or
governorate happens after, on the published rows, so that a filter never changes what is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from himaya.analysis.disclosure import extended, primary, round_to, suppress
from himaya.core.text import Text

ALL = "all"  # the code of a margin: every programme, or every governorate
UNKNOWN = "unknown"  # persons whose governorate the registry does not record
LABELS = {
    ("programme", ALL): Text("All programmes", "جميع المنافع"),
    ("governorate", ALL): Text("All governorates", "جميع المحافظات"),
    ("governorate", UNKNOWN): Text("Governorate not recorded", "المحافظة غير مسجلة"),
}
RAW = {
    "month": pl.Date,
    "programme": pl.String,
    "governorate": pl.String,
    "beneficiaries": pl.Int64,  # distinct persons enrolled in the month
    "payees": pl.Int64,  # distinct persons whose payments make the amount
    "amount": pl.Int64,  # paid in the month, in the currency's smallest unit (baisa, dinars)
}
PUBLISHED = {
    "month": pl.String,
    "programme": pl.String,
    "governorate": pl.String,
    "beneficiaries": pl.Int64,
    "spending_omr": pl.Int64,
    "suppressed": pl.Boolean,
}


@dataclass(frozen=True)
class Rules:
    """The disclosure rules: the smallest count published and the unit amounts are rounded to, in
    units of the registry's currency (rials, dinars: `rounding_omr`, named for the first), which has
    `per_unit` of its smallest unit (1000 baisa in a rial, 1 dinar in a dinar)."""

    threshold: int = 10
    rounding_omr: int = 1_000
    per_unit: int = 1_000

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.rounding_omr < 1 or self.per_unit < 1:
            raise ValueError(f"threshold and rounding must be at least 1, not {self.threshold}, {self.rounding_omr}")


def publish(
    raw: pl.DataFrame, months: Sequence[date], *, programmes: Sequence[str], governorates: Sequence[str], rules: Rules
) -> pl.DataFrame:
    """Each month's table under the rules (columns `PUBLISHED`): `programmes` x `governorates`,
    then any other code the month's figures hold, and `UNKNOWN` when some governorate is missing.
    Each month is a table of its own: nothing is summed across months (a person enrolled in
    two months is one beneficiary of each)."""
    figures = raw.with_columns(pl.col("governorate").fill_null(UNKNOWN))
    frames = []
    for month in months:
        found = figures.filter(pl.col("month") == month)
        present = set(found["governorate"])
        rows = [*programmes, *sorted(set(found["programme"]) - set(programmes))]
        columns = [
            *governorates,
            *sorted(present - set(governorates) - {UNKNOWN}),
            *([UNKNOWN] if UNKNOWN in present else []),
        ]
        frames.append(_month(found, month, rows, columns, rules))
    return pl.concat(frames) if frames else pl.DataFrame(schema=PUBLISHED)


def _month(figures: pl.DataFrame, month: date, rows: list[str], columns: list[str], rules: Rules) -> pl.DataFrame:
    cells = {(r["programme"], r["governorate"]): r for r in figures.iter_rows(named=True)}

    def grid(measure: str) -> list[list[int]]:
        return [[(cells.get((p, g)) or {}).get(measure) or 0 for g in columns] for p in rows]

    counts, payees, amounts = grid("beneficiaries"), grid("payees"), grid("amount")
    # An amount paid to fewer persons than the threshold is as telling as a count that small.
    hidden = suppress(counts, threshold=rules.threshold, sensitive=primary(extended(payees), threshold=rules.threshold))
    full_counts, full_amounts = extended(counts), extended(amounts)
    unit = rules.rounding_omr * rules.per_unit
    out = [
        (
            f"{month:%Y-%m}",
            ([*rows, ALL])[i],
            ([*columns, ALL])[j],
            None if (i, j) in hidden else full_counts[i][j],
            None if (i, j) in hidden else round_to(full_amounts[i][j], unit) // rules.per_unit,
            (i, j) in hidden,
        )
        for i in range(len(rows) + 1)
        for j in range(len(columns) + 1)
    ]
    return pl.DataFrame(out, schema=PUBLISHED, orient="row")


def names(kind: str, codes: Sequence[str], known: Mapping[str, Text]) -> dict[str, Text]:
    """Each code's name in English and Arabic: the pack's, the margins' and the unknown's labels,
    else the code itself."""
    return {c: known.get(c) or LABELS.get((kind, c)) or Text(c, c) for c in codes}


def trend(published: pl.DataFrame) -> pl.DataFrame:
    """The country's totals month by month (the corner of each month's table)."""
    return published.filter(pl.col("programme") == ALL, pl.col("governorate") == ALL).select(
        "month", "beneficiaries", "spending_omr", "suppressed"
    )


CSV_COLUMNS = (
    "month",
    "programme",
    "programme_en",
    "programme_ar",
    "governorate",
    "governorate_en",
    "governorate_ar",
    "beneficiaries",
    "spending_omr",
    "suppressed",
)


@dataclass(frozen=True)
class Statistics:
    """The published tables of the months `first` to `last` (rows as `PUBLISHED`, filtered as asked),
    the country's monthly totals, the names of the codes and the rules they were made under."""

    first: str
    last: str
    rules: Rules
    table: pl.DataFrame
    national: pl.DataFrame  # `trend` of the unfiltered tables
    programmes: dict[str, Text]
    governorates: dict[str, Text]
    version: str  # of the data: changes whenever a figure may (for caches and ETags)
    currency: str = "OMR"  # ISO 4217 code of the amounts (`spending_omr`, named for the first currency)

    def named(self) -> pl.DataFrame:
        """The rows with the English and Arabic names of their programme and governorate (`CSV_COLUMNS`)."""
        lookups = [
            pl.col(kind).replace_strict({c: getattr(t, language) for c, t in known.items()}, default=pl.col(kind))
            .alias(f"{kind}_{language}")
            for kind, known in (("programme", self.programmes), ("governorate", self.governorates))
            for language in ("en", "ar")
        ]  # fmt: skip
        return self.table.with_columns(lookups).select(CSV_COLUMNS)

    def csv(self) -> str:
        """Open data: UTF-8 CSV, a header row, empty figures where suppressed."""
        return self.named().write_csv()

    def json(self) -> dict[str, object]:
        def described(known: Mapping[str, Text]) -> list[dict[str, str]]:
            return [{"code": c, "en": t.en, "ar": t.ar} for c, t in known.items()]

        return {
            "from": self.first,
            "to": self.last,
            "currency": self.currency,
            "rules": {"threshold": self.rules.threshold, "rounding_omr": self.rules.rounding_omr},
            "programmes": described(self.programmes),
            "governorates": described(self.governorates),
            "rows": self.table.to_dicts(),
            "trend": self.national.to_dicts(),
        }
