"""The input contracts of the employer register and of a monthly declaration, validated as the
people table is (`policy.table.validate_table`: every broken value named with its row, column,
value and rule; a table with any problem refused whole), with the month's own rules on top.

A declaration is one employer's month: `civil_number`, `wage`, `days` and, for the savings scheme,
an optional `basic_wage` (the wage when empty). A file with a `cr_number` column declares the month
for several employers at once (a batch from the Fund's portal), one employer per row.
"""

from __future__ import annotations

import polars as pl

from himaya.core.errors import InputTableError, Problem
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.insurance.model import Sector
from himaya.policy.pack import PolicyPack
from himaya.policy.schema import Column, Kind, TableSchema
from himaya.policy.table import ROW, validate_table

CR_NUMBER = Column(
    "cr_number",
    Kind.PATTERN,
    required=True,
    pattern=r"^[1-9][0-9]{5,9}$",
    rule="must be a commercial registration number: 6 to 10 digits, not starting with 0",
)
_HIDDEN = "\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069<>"
NAME = Column(
    "name",
    Kind.PATTERN,
    required=True,
    pattern=f"^[^\\s{_HIDDEN}](?:[^{_HIDDEN}]{{0,198}}[^\\s{_HIDDEN}])?$",
    rule="must be 1 to 200 characters, without control or direction characters, < or >, nor spaces at either end",
)
DAYS = Column("days", Kind.PATTERN, required=True, pattern=r"^[0-9]{1,2}$", rule="must be a whole number of days")
MAX_WAGE = 1_000_000_000  # baisa: a million rials a month is beyond any wage; the arithmetic stays in Int64


def employer_schema(pack: PolicyPack) -> TableSchema:
    """cr_number, name, sector and wilayat (one of the pack's), each employer once."""
    wilayats = tuple(pack.code_names.get("wilayat", {}))
    return TableSchema(
        (
            CR_NUMBER,
            NAME,
            Column("sector", Kind.CODE, required=True, codes=tuple(s.value for s in Sector)),
            Column("wilayat", Kind.CODE, required=True, codes=wilayats),
        ),
        unique=("cr_number",),
    )


def declaration_schema(pack: PolicyPack, *, batch: bool) -> TableSchema:
    """The columns of a declaration; with `batch`, a `cr_number` column names each row's employer."""
    civil = pack.registry.column("person_id")
    columns = (
        Column("civil_number", civil.kind, required=True, pattern=civil.pattern, rule=civil.rule),
        Column("wage", Kind.MONEY, required=True),
        DAYS,
        Column("basic_wage", Kind.MONEY, required=False),
    )
    return TableSchema((CR_NUMBER, *columns) if batch else columns, currency=pack.registry.currency)


def read_employers(raw: pl.DataFrame, pack: PolicyPack, *, source: str) -> pl.DataFrame:
    """The employer register's rows, validated (InputTableError naming every problem)."""
    return validate_table(raw, employer_schema(pack), source=source)


def read_declaration(
    raw: pl.DataFrame, pack: PolicyPack, month: Period, *, source: str, employer: str | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """(the declaration's sound rows for `month`: row, cr_number, civil_number, wage, basic_wage
    (baisa), days; every problem of its rows). The caller adds what only the registry can tell
    and refuses the file if anything is wrong: so every problem is named at once.

    `employer`: the employer the whole file declares for; without it, the file has a `cr_number`
    column (a batch for several employers). A header problem is raised at once (InputTableError):
    no row can be read without its columns."""
    batch = employer is None
    others: list[Problem] = []
    if not batch and "cr_number" in raw.columns:  # the option names the employer: a row naming another is wrong
        others = _other_employers(raw["cr_number"], str(employer))
        raw = raw.drop("cr_number")
    raw = raw.drop(ROW, strict=False)  # an extra column (dropped as any other), not the rows' numbering
    schema = declaration_schema(pack, batch=batch)
    numbered = raw.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    try:
        typed, problems = validate_table(raw, schema, source=source), []
    except InputTableError as error:
        if any(p.row == 0 for p in error.problems):
            raise
        problems = error.problems
        numbered = numbered.filter(~pl.col(ROW).is_in([p.row for p in problems]))
        typed = validate_table(numbered.drop(ROW), schema, source=source)  # the rows that parse
    frame = typed.with_columns(
        numbered[ROW],
        pl.col("days").cast(pl.Int64),
        pl.when(pl.col("basic_wage") > 0).then("basic_wage").otherwise("wage").alias("basic_wage"),
    )
    if not batch:
        frame = frame.with_columns(pl.lit(employer, pl.String).alias("cr_number"))
    lines = frame.select(pl.col(ROW).alias("row"), "cr_number", "civil_number", "wage", "basic_wage", "days")
    return lines, [*others, *problems, *month_problems(frame, raw, month)]


def _other_employers(column: pl.Series, employer: str) -> list[Problem]:
    """The rows of a file declared for `employer` whose cr_number names another employer (an empty
    cell is the employer's): declaring them for `employer` would put wages on the wrong account."""
    values = column.cast(pl.String).str.strip_chars()
    return [
        Problem(row, "cr_number", value, f"names another employer than {employer}, the one declared for",
                kind="names another employer than the one declared for")
        for row, value in enumerate(values.to_list(), start=1)
        if value and value != employer
    ]  # fmt: skip


def month_problems(frame: pl.DataFrame, raw: pl.DataFrame, month: Period) -> list[Problem]:
    """The rules of a declaration beyond each value's shape: days within the month, a wage above
    nothing and within reason, a basic wage within the wage, each insured person once per employer."""
    length = month.end.day
    rules = [
        ("days", (pl.col("days") < 1) | (pl.col("days") > length), f"must be from 1 to {length}, the days of {month}"),
        ("wage", pl.col("wage") == 0, "must be more than 0.000: a month without wage is not declared"),
        ("wage", pl.col("wage") > MAX_WAGE, f"is more than {format_omr(MAX_WAGE, grouped=True)} a month"),
        (
            "basic_wage",
            (pl.col("basic_wage") > pl.col("wage")) & (pl.col("wage") > 0),
            "is more than the wage: the basic wage is part of it",
        ),
    ]
    problems = []
    for column, broken, rule in rules:
        for row in frame.filter(broken)[ROW].to_list():
            value = raw[column][row - 1] if column in raw.columns else None
            problems.append(Problem(row, column, None if value is None else str(value), rule))
    twice = frame.filter(pl.struct("cr_number", "civil_number").is_duplicated())
    if twice.height:
        rows = twice.group_by("cr_number", "civil_number").agg(pl.col(ROW).sort())
        for _, civil, numbers in rows.iter_rows():
            for row in numbers:
                others = ", ".join(str(r) for r in numbers if r != row)
                problems.append(
                    Problem(
                        row,
                        "civil_number",
                        civil,
                        f"is declared twice for one employer: also on row {others}",
                        kind="is declared twice for one employer",
                    )
                )
    return problems
