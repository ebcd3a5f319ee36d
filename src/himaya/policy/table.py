"""Validate a raw input table against a pack's contract, all rows at once.

Every broken value is found in one vectorised pass and reported with its row, column, value and
rule; a table with any problem is refused whole, so nothing downstream ever sees half a table.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl
import pycountry

from himaya.core.errors import InputTableError, Problem
from himaya.core.money import Currency
from himaya.policy.schema import Column, Kind, TableSchema

ROW = "__row"
_MISSING = "required value missing"
_TRUE = ("true", "1")
_FALSE = ("false", "0")
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# At most 12 digits of whole currency units (a billion rials, or a trillion dinars, a month is
# beyond any real income), and the value in the smallest unit then stays far inside Int64 (a
# larger figure would wrap around or vanish).
MONEY_DIGITS = 12
_TOO_LARGE = f"is too large: at most {MONEY_DIGITS} digits before the decimal point"


@cache
def _countries() -> list[str]:
    return sorted(country.alpha_2 for country in pycountry.countries)


@dataclass(frozen=True)
class Verdict:
    """Whether each value breaks a rule (cheap, one bit a row) and, only when asked, which rule."""

    bad: pl.Expr
    message: pl.Expr


def _checked(column: Column, dtype: pl.DataType, currency: Currency | None) -> tuple[pl.Expr, Verdict]:
    """(parsed value, error message or null) for one column, whatever its stored type.

    Values are taken as written: ' M' is not 'M'. Text is only made where the stored type is not
    already the one wanted, because casting millions of values to text is most of the cost.
    """
    raw = pl.col(column.name)
    is_text = dtype == pl.String
    text = raw if is_text else raw.cast(pl.String)
    empty = (raw.is_null() | (raw == "")) if is_text else raw.is_null()
    missing = empty if column.required else pl.lit(False)

    def errors(*rules: tuple[pl.Expr, str | None]) -> Verdict:
        """The first rule broken, in order; a rule with no message marks a value as sound."""
        chain: Any = pl.when(missing).then(pl.lit(_MISSING))  # Then, then ChainedThen
        bad, undecided = missing, ~missing
        for condition, message in rules:
            chain = chain.when(condition).then(pl.lit(message, pl.String))
            if message is not None:
                bad = bad | (undecided & condition)
            undecided = undecided & ~condition
        return Verdict(bad=bad.fill_null(False), message=chain.otherwise(pl.lit(None, pl.String)))

    if column.kind is Kind.ID:
        return text, errors()
    if column.kind is Kind.TEXT:
        return pl.when(~empty).then(text), errors()
    if column.kind is Kind.PATTERN:
        return pl.when(~empty).then(text), errors((~empty & ~text.str.contains(column.pattern), column.rule))
    if column.kind is Kind.IBAN:
        shaped = text.str.contains(column.pattern)
        return pl.when(~empty).then(text), errors(
            (~empty & ~shaped, column.rule),
            (
                ~empty & (iban_remainder(text, letters="A-Z" in column.pattern) != 1),
                "has wrong IBAN check digits (ISO 13616, mod 97)",
            ),
        )
    if column.kind in (Kind.CODE, Kind.COUNTRY):
        allowed = list(column.codes) if column.kind is Kind.CODE else _countries()
        rule = (
            f"must be one of {', '.join(column.codes)}"
            if column.kind is Kind.CODE
            else "must be an ISO 3166-1 alpha-2 country code in capitals, such as OM"
        )
        return pl.when(~empty).then(text), errors((~empty & ~text.is_in(allowed), rule))
    if column.kind is Kind.DATE:
        if dtype == pl.Date:
            return raw, errors()
        if isinstance(dtype, pl.Datetime):
            return raw.dt.date(), errors()
        parsed = text.str.to_date("%Y-%m-%d", strict=False)
        bad = ~empty & (parsed.is_null() | ~text.str.contains(_DATE_SHAPE))
        return parsed, errors((bad, "must be a real date written YYYY-MM-DD"))
    if column.kind is Kind.BOOL:
        if dtype == pl.Boolean:
            return raw.fill_null(False), errors()
        lowered = text.str.to_lowercase()
        bad = ~empty & ~lowered.is_in([*_TRUE, *_FALSE])
        return lowered.is_in(_TRUE).fill_null(False), errors((bad, "must be true or false (or 1 or 0)"))
    return _money(column, raw, text, empty, dtype, currency, errors)


def _money(
    column: Column,
    raw: pl.Expr,
    text: pl.Expr,
    empty: pl.Expr,
    dtype: pl.DataType,
    currency: Currency | None,
    errors: Callable[..., Verdict],
) -> tuple[pl.Expr, Verdict]:
    """An amount of the schema's currency, exact to its smallest unit, as an integer count of that
    unit; empty is zero, or stays empty for a column whose empty value means unknown."""
    if currency is None:
        raise ValueError(f"money column {column.name}: the table's schema has no currency")
    scale, decimals = currency.per_unit, currency.decimals
    most = column.maximum

    def filled(value: pl.Expr) -> pl.Expr:
        return value if column.unknown_if_empty else value.fill_null(0)

    def above(value: pl.Expr) -> pl.Expr:
        return (value > most).fill_null(False) if most is not None else pl.lit(False)

    if dtype.is_integer() or (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= decimals):
        too_large = raw.cast(pl.Float64) >= 10.0**MONEY_DIGITS
        value = pl.when(too_large).then(0).otherwise(raw.cast(pl.Decimal(38, decimals)) * scale).cast(pl.Int64)
        return filled(value), errors(
            (raw < 0, "must not be negative"), (too_large, _TOO_LARGE), (above(value), _above(most, currency))
        )
    fraction = rf"(\.[0-9]{{1,{decimals}}})?" if decimals else ""
    shape_ok = text.str.contains(rf"^[0-9]{{1,{MONEY_DIGITS}}}{fraction}$")
    parts = text.str.split_exact(".", 1)
    units = parts.struct.field("field_0").cast(pl.Int64, strict=False)
    minor = (
        parts.struct.field("field_1").fill_null("").str.pad_end(decimals, "0").cast(pl.Int64, strict=False)
        if decimals
        else pl.lit(0, pl.Int64)
    )
    value = pl.when(shape_ok).then(units * scale + minor).otherwise(0 if not column.unknown_if_empty else None)
    if decimals:
        too_precise = text.str.contains(rf"^[0-9]+\.[0-9]{{{decimals + 1},}}$")
        why = f"has more than {decimals} decimals: {currency.code} amounts are exact to the {currency.smallest}"
    else:
        too_precise = text.str.contains(r"^[0-9]+\.[0-9]*$")
        why = f"has decimals: {currency.code} amounts are whole {currency.smallest}s"
    return filled(value), errors(
        (shape_ok & above(value), _above(most, currency)),
        (empty | shape_ok, None),
        (text.str.starts_with("-"), "must not be negative"),
        (too_precise, why),
        (text.str.contains(r"^[0-9]+(\.[0-9]*)?$"), _TOO_LARGE),
        (pl.lit(True), f"must be an amount in {currency.code} such as {currency.example}"),
    )


def _above(most: int | None, currency: Currency) -> str:
    return f"must be at most {currency.format(most or 0)}: a larger amount is a typing error"


_LETTER_VALUES = {chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)}


def iban_remainder(iban: pl.Expr, *, letters: bool = False) -> pl.Expr:
    """ISO 13616 remainder (1 for a valid IBAN) of IBANs with a numeric BBAN (with `letters`, a BBAN
    that may hold capital letters too, such as an Iraqi IBAN's bank code), vectorised.

    The rearranged number (BBAN, country letters as two-digit numbers, check digits) is reduced
    mod 97 nine digits at a time, which stays within Int64.
    """
    country = pl.concat_str(
        iban.str.slice(0, 1).replace_strict(_LETTER_VALUES, default="99"),
        iban.str.slice(1, 1).replace_strict(_LETTER_VALUES, default="99"),
    )
    bban = iban.str.slice(4)
    if letters:
        for letter, number in _LETTER_VALUES.items():
            bban = bban.str.replace_all(letter, number, literal=True)
    digits = pl.concat_str(bban, country, iban.str.slice(2, 2))
    remainder = pl.lit(0, pl.Int64)
    for start in range(0, 45, 9):
        chunk = digits.str.slice(start, 9)
        size = chunk.str.len_chars()
        value = pl.when(size > 0).then(chunk.cast(pl.Int64, strict=False)).otherwise(0)
        remainder = (remainder * pl.lit(10, pl.Int64).pow(size).cast(pl.Int64) + value) % 97
    return remainder.fill_null(-1)


def to_file_form(frame: pl.DataFrame, schema: TableSchema, kind: str) -> pl.DataFrame:
    """A typed table as the contract writes it: money as decimal text of the schema's currency in
    CSV (empty for zero, or for unknown) and as a Decimal in Parquet; everything else as it is."""
    money = [c for c in schema.money if c in frame.columns]
    if not money:
        return frame
    currency = schema.money_currency
    if kind == "parquet":
        return frame.with_columns(
            (pl.col(c).cast(pl.Decimal(18, 0)) / currency.per_unit).cast(pl.Decimal(12, currency.decimals))
            for c in money
        )
    return frame.with_columns(pl.when(pl.col(c) > 0).then(money_text(pl.col(c), currency)).alias(c) for c in money)


def money_text(amount: pl.Expr, currency: Currency) -> pl.Expr:
    """Non-negative amounts (in the smallest unit) as decimal text of the currency, for every row:
    257148 baisa -> '257.148'; 125000 dinars -> '125000'."""
    if not currency.decimals:
        return amount.cast(pl.String)
    scale = currency.per_unit
    return (amount // scale).cast(pl.String) + "." + (amount % scale).cast(pl.String).str.zfill(currency.decimals)


def _header_problems(raw: pl.DataFrame, schema: TableSchema) -> list[Problem]:
    """A missing required column, with the column of the table probably meant for it: a near
    spelling, else the one column the contract does not know when only one is missing."""
    missing = [c.name for c in schema.columns if c.required and c.name not in raw.columns]
    unknown = [c for c in raw.columns if c not in schema.names]
    problems = []
    for name in missing:
        near = difflib.get_close_matches(name, unknown, n=1, cutoff=0.6)
        guess = near[0] if near else (unknown[0] if len(missing) == len(unknown) == 1 else None)
        rule = "required column is missing from the table"
        if guess is not None:
            rule += f"; the table has a column {guess!r} the contract does not know: rename it {name!r}?"
        elif unknown:
            rule += f"; columns the contract does not know: {', '.join(repr(u) for u in unknown[:10])}"
        problems.append(Problem(0, name, guess, rule, kind="required column is missing from the table"))
    return problems


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
        if table.select(pl.col(name).n_unique()).item() == table.height:  # the cheap test first
            continue
        dupes = table.filter(pl.col(name).is_duplicated()).group_by(name).agg(pl.col(ROW).sort())
        for value, rows in dupes.iter_rows():
            for row in rows:
                others = [r for r in rows if r != row]
                problems.append(
                    Problem(row, name, value, f"must be unique: also on row {_rows(others)}", kind="must be unique")
                )
    for rule in schema.one_per_group:
        table = _sound(checked, rule.group, rule.column)
        holder = pl.col(rule.column) == rule.value
        counts = table.group_by(rule.group).agg(first=pl.col(ROW).min(), holders=holder.sum())
        wrong = counts.filter(pl.col("holders") != 1)
        if wrong.is_empty():
            continue
        rows_of = (
            table.filter(holder & pl.col(rule.group).is_in(wrong[rule.group].implode()))
            .group_by(rule.group)
            .agg(pl.col(ROW).sort())
        )
        holders_of = dict(rows_of.iter_rows())
        for group, first, _ in wrong.iter_rows():
            holders = holders_of.get(group, [])
            if not holders:
                message = f"has no row with {rule.column} '{rule.value}': exactly one is needed"
                problems.append(Problem(first, rule.group, group, message))
            for row in holders:
                problems.append(
                    Problem(
                        row,
                        rule.column,
                        rule.value,
                        f"{rule.group} {group} has {len(holders)} rows with {rule.column} '{rule.value}' "
                        f"(rows {_rows(holders)}): exactly one is allowed",
                        kind=f"more than one row with {rule.column} '{rule.value}' in a {rule.group}",
                    )
                )
    for order in schema.not_before:
        early = _sound(checked, order.column, order.reference).filter(pl.col(order.column) < pl.col(order.reference))
        for row, value, reference in early.select(ROW, order.column, order.reference).iter_rows():
            problems.append(
                Problem(
                    row,
                    order.column,
                    str(value),
                    f"is before {order.reference} {reference}",
                    kind=f"is before {order.reference}",
                )
            )
    return problems


def _only_where_problems(checked: pl.DataFrame, schema: TableSchema) -> list[Problem]:
    problems = []
    for rule in schema.only_where:
        table = _sound(checked, rule.where).filter(
            pl.col(rule.column).is_not_null() & (pl.col(rule.where) != rule.value)
        )
        money = schema.column(rule.column).kind is Kind.MONEY
        for row, value, where in table.select(ROW, rule.column, rule.where).iter_rows():
            shown = schema.money_currency.format(value) if money else str(value)
            message = f"is given on the row of {rule.where} '{where}': only the {rule.value}'s row may have it"
            problems.append(Problem(row, rule.column, shown, message, kind=f"given on a row not of the {rule.value}"))
    return problems


def _part_of_problems(checked: pl.DataFrame, schema: TableSchema) -> list[Problem]:
    problems = []
    for rule in schema.part_of:
        part = pl.col(rule.source).str.slice(rule.start, rule.length)
        table = _sound(checked, rule.column, rule.source).filter(pl.col(rule.column) != part)
        for row, value, source in table.select(ROW, rule.column, rule.source).iter_rows():
            part = source[rule.start : rule.start + rule.length]
            where = f"characters {rule.start + 1} to {rule.start + rule.length}"
            message = f"does not match {rule.source} {source}, whose {where} are {part}"
            problems.append(Problem(row, rule.column, str(value), message, kind=f"does not match {rule.source}"))
        alone = _sound(checked, rule.column).filter(pl.col(rule.column).is_not_null() & pl.col(rule.source).is_null())
        for row, value in alone.select(ROW, rule.column).iter_rows():
            message = f"is given without {rule.source}: give the {rule.source} it is part of, or neither"
            problems.append(Problem(row, rule.column, str(value), message, kind=f"given without {rule.source}"))
    return problems


def validate_table(raw: pl.DataFrame, schema: TableSchema, *, source: str) -> pl.DataFrame:
    """The table with the schema's columns parsed to their types, or InputTableError listing every problem.

    Money becomes Int64 in the currency's smallest unit (baisa, dinars), dates Date, booleans Boolean
    (empty is false); extra columns are dropped.
    """
    header = _header_problems(raw, schema)
    if header:
        raise InputTableError(source, header)
    present = [c for c in schema.columns if c.name in raw.columns]
    checks = [_checked(c, raw.schema[c.name], schema.currency) for c in present]
    # The good path keeps one bit a value; the messages are only built when something is wrong,
    # because a text column per input column would cost gigabytes on a national table.
    checked = (
        raw.lazy()
        .select(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW),
            *[value.alias(c.name) for c, (value, _) in zip(present, checks, strict=True)],
            pl.any_horizontal([verdict.bad for _, verdict in checks]).alias("__bad"),
        )
        .collect()
    )
    has_error = bool(checked["__bad"].any())
    checked = checked.drop("__bad")
    if has_error:
        messages = raw.select(
            verdict.message.alias(f"__error_{c.name}") for c, (_, verdict) in zip(present, checks, strict=True)
        )
        checked = checked.hstack(messages)
    absent = [c for c in schema.columns if c.name not in raw.columns]
    if absent:
        checked = checked.with_columns(_absent_default(c) for c in absent)
    problems = _value_problems(checked, raw, [c.name for c in present]) if has_error else []
    problems += _table_problems(checked, schema) + _only_where_problems(checked, schema)
    problems += _part_of_problems(checked, schema)
    if problems:
        raise InputTableError(source, problems)
    return checked.select(schema.names)


def _absent_default(column: Column) -> pl.Expr:
    if column.kind is Kind.BOOL:
        return pl.lit(False).alias(column.name)
    if column.kind is Kind.MONEY:
        return pl.lit(None if column.unknown_if_empty else 0, pl.Int64).alias(column.name)
    if column.kind is Kind.DATE:
        return pl.lit(None, pl.Date).alias(column.name)
    return pl.lit(None, pl.String).alias(column.name)
