"""Validate a raw input table against a pack's contract, all rows at once.

Every broken value is found in one vectorised pass and reported with its row, column, value and
rule; a table with any problem is refused whole, so nothing downstream ever sees half a table.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import pycountry

from himaya.core.errors import InputTableError, Problem
from himaya.policy.schema import Column, Kind, TableSchema

ROW = "__row"
_MISSING = "required value missing"
_TRUE = ("true", "1")
_FALSE = ("false", "0")
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MONEY_SHAPE = r"^[0-9]+(\.[0-9]{1,3})?$"


@cache
def _countries() -> list[str]:
    return sorted(country.alpha_2 for country in pycountry.countries)


def _error(condition: pl.Expr, message: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(message))


def _checked(column: Column, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(parsed value, error message or null) for one column, whatever its stored type."""
    raw = pl.col(column.name)
    text = raw.cast(pl.String).str.strip_chars()
    empty = text.is_null() | (text == "")
    missing = _error(empty, _MISSING) if column.required else pl.lit(None, pl.String)

    if column.kind is Kind.ID:
        return text, missing
    if column.kind is Kind.CODE:
        rule = f"must be one of {', '.join(column.codes)}"
        bad = ~empty & ~text.is_in(column.codes)
        return pl.when(empty).then(None).otherwise(text), pl.coalesce(missing, _error(bad, rule))
    if column.kind is Kind.COUNTRY:
        bad = ~empty & ~text.is_in(_countries())
        rule = "must be an ISO 3166-1 alpha-2 country code in capitals, such as OM"
        return pl.when(empty).then(None).otherwise(text), pl.coalesce(missing, _error(bad, rule))
    if column.kind is Kind.DATE:
        if dtype == pl.Date:
            return raw, missing
        if isinstance(dtype, pl.Datetime):
            return raw.dt.date(), missing
        parsed = text.str.to_date("%Y-%m-%d", strict=False)
        bad = ~empty & (parsed.is_null() | ~text.str.contains(_DATE_SHAPE))
        return parsed, pl.coalesce(missing, _error(bad, "must be a real date written YYYY-MM-DD"))
    if column.kind is Kind.BOOL:
        if dtype == pl.Boolean:
            return raw.fill_null(False), missing
        lowered = text.str.to_lowercase()
        bad = ~empty & ~lowered.is_in([*_TRUE, *_FALSE])
        value = lowered.is_in(_TRUE).fill_null(False)
        return value, pl.coalesce(missing, _error(bad, "must be true or false (or 1 or 0)"))
    return _money(column, dtype, raw, text, empty, missing)


def _money(
    column: Column, dtype: pl.DataType, raw: pl.Expr, text: pl.Expr, empty: pl.Expr, missing: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    if dtype.is_integer():
        value = raw.cast(pl.Int64) * 1000
        return value.fill_null(0), pl.coalesce(missing, _error(raw < 0, "must not be negative"))
    if isinstance(dtype, pl.Decimal) and dtype.scale <= 3:
        value = (raw * 1000).cast(pl.Int64)
        return value.fill_null(0), pl.coalesce(missing, _error(raw < 0, "must not be negative"))
    shape_ok = text.str.contains(_MONEY_SHAPE)
    parts = text.str.split_exact(".", 1)
    units = parts.struct.field("field_0").cast(pl.Int64, strict=False)
    baisa = parts.struct.field("field_1").fill_null("").str.pad_end(3, "0").cast(pl.Int64, strict=False)
    value = pl.when(shape_ok).then(units * 1000 + baisa).otherwise(0)
    error = (
        pl.when(empty | shape_ok)
        .then(None)
        .when(text.str.starts_with("-"))
        .then(pl.lit("must not be negative"))
        .when(text.str.contains(r"^[0-9]+\.[0-9]{4,}$"))
        .then(pl.lit("has more than 3 decimals: OMR amounts are exact to the baisa"))
        .otherwise(pl.lit("must be an amount in OMR such as 115.000"))
    )
    return value.fill_null(0), pl.coalesce(missing, error)


def _header_problems(raw: pl.DataFrame, schema: TableSchema) -> list[Problem]:
    return [
        Problem(0, c.name, None, "required column is missing from the table")
        for c in schema.columns
        if c.required and c.name not in raw.columns
    ]


def _value_problems(checked: pl.DataFrame, raw: pl.DataFrame, names: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for name in names:
        bad = checked.filter(pl.col(f"__error_{name}").is_not_null())
        if bad.is_empty():
            continue
        values = raw.select(pl.col(name).cast(pl.String)).to_series()
        for row, message in bad.select(ROW, f"__error_{name}").iter_rows():
            problems.append(Problem(row, name, values[row - 1], message))
    return problems


def _rows(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


def _sound(checked: pl.DataFrame, *names: str) -> pl.DataFrame:
    """The rows whose values in `names` parsed; rules across rows look only at those, so one slip
    is reported once, by the rule it breaks."""
    errors = [f"__error_{n}" for n in names if f"__error_{n}" in checked.columns]
    return checked.filter(pl.all_horizontal(pl.col(errors).is_null())) if errors else checked


def _table_problems(checked: pl.DataFrame, schema: TableSchema) -> list[Problem]:
    problems: list[Problem] = []
    for name in schema.unique:
        table = _sound(checked, name)
        dupes = (
            table.filter(pl.col(name).is_duplicated() & pl.col(name).is_not_null())
            .group_by(name)
            .agg(pl.col(ROW).sort())
        )
        for value, rows in dupes.iter_rows():
            for row in rows:
                others = [r for r in rows if r != row]
                problems.append(Problem(row, name, value, f"must be unique: also on row {_rows(others)}"))
    for rule in schema.one_per_group:
        table = _sound(checked, rule.group, rule.column)
        groups = (
            table.filter(pl.col(rule.group).is_not_null())
            .group_by(rule.group)
            .agg(
                first=pl.col(ROW).min(),
                holders=pl.col(ROW).filter(pl.col(rule.column) == rule.value).sort(),
            )
            .filter(pl.col("holders").list.len() != 1)
        )
        for group, first, holders in groups.iter_rows():
            if not holders:
                problems.append(
                    Problem(
                        first, rule.group, group, f"has no row with {rule.column} '{rule.value}': exactly one is needed"
                    )
                )
            for row in holders:
                problems.append(
                    Problem(
                        row,
                        rule.column,
                        rule.value,
                        f"{rule.group} {group} has {len(holders)} rows with {rule.column} '{rule.value}' "
                        f"(rows {_rows(holders)}): exactly one is allowed",
                    )
                )
    for order in schema.not_before:
        early = _sound(checked, order.column, order.reference).filter(pl.col(order.column) < pl.col(order.reference))
        for row, value, reference in early.select(ROW, order.column, order.reference).iter_rows():
            problems.append(Problem(row, order.column, str(value), f"is before {order.reference} {reference}"))
    return problems


def validate_table(raw: pl.DataFrame, schema: TableSchema, *, source: str) -> pl.DataFrame:
    """The table with the schema's columns parsed to their types, or InputTableError listing every problem.

    Money becomes Int64 baisa, dates Date, booleans Boolean (empty is false); extra columns are dropped.
    """
    header = _header_problems(raw, schema)
    if header:
        raise InputTableError(source, header)
    present = [c for c in schema.columns if c.name in raw.columns]
    exprs = [_checked(c, raw.schema[c.name]) for c in present]
    checked = (
        raw.lazy()
        .select(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW),
            *[value.alias(c.name) for c, (value, _) in zip(present, exprs, strict=True)],
            *[error.alias(f"__error_{c.name}") for c, (_, error) in zip(present, exprs, strict=True)],
        )
        .collect()
    )
    error_columns = [f"__error_{c.name}" for c in present]
    has_error = checked.select(pl.any_horizontal(pl.col(error_columns).is_not_null()).any()).item()
    absent = [c for c in schema.columns if c.name not in raw.columns]
    if absent:
        checked = checked.with_columns(_absent_default(c) for c in absent)
    problems = _value_problems(checked, raw, [c.name for c in present]) if has_error else []
    problems += _table_problems(checked, schema)
    if problems:
        raise InputTableError(source, problems)
    return checked.select(schema.names)


def _absent_default(column: Column) -> pl.Expr:
    if column.kind is Kind.BOOL:
        return pl.lit(False).alias(column.name)
    if column.kind is Kind.MONEY:
        return pl.lit(0, pl.Int64).alias(column.name)
    if column.kind is Kind.DATE:
        return pl.lit(None, pl.Date).alias(column.name)
    return pl.lit(None, pl.String).alias(column.name)
