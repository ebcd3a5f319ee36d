"""Monthly entitlements with OpenFisca and the `openfisca_oman` country package: the counterpart of
`himaya entitlements PEOPLE.parquet --period 2026-01 --output OUT.parquet`, for the comparison benchmark.

    bench/out/ofvenv/bin/python bench/openfisca/run.py PEOPLE.parquet --period 2026-01 --output OUT.parquet

Reads the people table with polars, hands every column to OpenFisca as a numpy array (money as integer
baisa, parsed exactly from the stored decimals), builds the simulation with `SimulationBuilder` (families
from `family_id`, roles from `relationship`), computes the six programmes for the month and writes the
entitlements table of `shared/policy/oman.md` section 4: one row per person and programme with a positive
amount, sorted by family, person and programme, amounts as OMR text with 3 decimals. It does not validate
the table as `himaya` does (unknown codes, duplicate ids, families without exactly one head): give it a
table that `himaya entitlements` accepts. Prints the time of each phase on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from datetime import date
from pathlib import Path

import numpy
import polars as pl
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import ETERNITY
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_oman import OmanTaxBenefitSystem
from openfisca_oman.entities import Family

FIRST_PERIOD = "2024-01"
PERSON_PROGRAMMES = ("child", "elderly", "disability", "orphan", "widow")
FAMILY_PROGRAMME = "family_income_support"
INT32_MAX = numpy.iinfo(numpy.int32).max
TRUE_TEXT = ("true", "1")
BOOL_TEXT = ("true", "false", "1", "0", "")
MONEY_TEXT = r"^[0-9]+(\.[0-9]{1,3})?$"


def column_values(series: pl.Series, value_type: type, default: object) -> numpy.ndarray:
    """A column as the numpy array OpenFisca stores for `value_type`; an empty cell is the variable's default."""
    if value_type is int:  # money: OMR with at most 3 decimals -> integer baisa, exactly (never through a float)
        if series.dtype == pl.String:
            text = series.str.strip_chars().replace("", None)
            if not text.str.contains(MONEY_TEXT).fill_null(True).all():
                raise SystemExit(f"{series.name}: an amount is not OMR with at most 3 decimals")
            series = text.cast(pl.Decimal(20, 3))
        if not (series.dtype.is_decimal() or series.dtype.is_integer()):
            raise SystemExit(f"{series.name}: money must be stored as decimals or text, not {series.dtype}")
        exact = series.cast(pl.Decimal(20, 3))
        if not (exact.cast(series.dtype) == series).fill_null(True).all():
            raise SystemExit(f"{series.name}: an amount has more than 3 decimals")
        baisa = (exact * 1000).cast(pl.Int64).fill_null(int(default))
        if baisa.len() and (baisa.min() < 0 or baisa.max() > INT32_MAX):
            raise SystemExit(f"{series.name}: an amount is outside OpenFisca's int32 range (0 to 2147483.647 OMR)")
        return baisa.to_numpy()
    if value_type is bool:
        if series.dtype == pl.String:
            text = series.str.strip_chars().str.to_lowercase().fill_null("")
            if not text.is_in(BOOL_TEXT).all():
                raise SystemExit(f"{series.name}: a value is not true, false, 1, 0 or empty")
            return (text.is_in(TRUE_TEXT) | ((text == "") & bool(default))).to_numpy()
        return series.fill_null(bool(default)).to_numpy()
    if value_type is date:
        if series.dtype == pl.String:
            series = series.str.strip_chars().replace("", None).str.to_date("%Y-%m-%d")
        assert isinstance(default, date)
        return series.fill_null(default).to_numpy().astype("datetime64[D]")
    if value_type is Enum:  # the codes are the enum's member names; OpenFisca takes their indices as they are
        assert isinstance(default, Enum)
        codes = series.cast(pl.String).replace("", None).fill_null(default.name)
        indices = {member.name: member.index for member in type(default)}
        try:
            return codes.replace_strict(indices, return_dtype=pl.Int16).to_numpy()
        except pl.exceptions.InvalidOperationError:
            raise SystemExit(f"{series.name}: a value is not one of {', '.join(indices)}") from None
    return series.cast(pl.String).fill_null(str(default)).to_numpy()  # str


def prepare(frame: pl.DataFrame, system: TaxBenefitSystem) -> tuple[pl.DataFrame, dict[str, numpy.ndarray]]:
    """The identity columns, and every input variable of the system that the table has, as numpy arrays."""
    inputs = {
        name: column_values(frame[name], variable.value_type, variable.default_value)
        for name, variable in system.variables.items()
        if variable.is_input_variable() and name in frame.columns
    }
    roles = [role.key for role in Family.flattened_roles]
    if not frame["relationship"].is_in(roles).all():  # SimulationBuilder would give such a person no role
        raise SystemExit(f"relationship: a value is not one of {', '.join(roles)}")
    # Each family's number (0, 1, ...) in the order of its family_id: the Family entity's ids.
    family_number = (pl.col("family_id").rank("dense") - 1).cast(pl.Int64).alias("family_number")
    return frame.select("person_id", "family_id", "relationship", family_number), inputs


def build_simulation(
    system: TaxBenefitSystem, identity: pl.DataFrame, inputs: dict[str, numpy.ndarray], month: str
) -> Simulation:
    builder = SimulationBuilder()
    builder.create_entities(system)
    # Entity ids are numbers, as in OpenFisca's survey pipelines: person i is row i of the table and
    # family k the k-th family_id in sorted order; the table's own ids label the output rows.
    builder.declare_person_entity("person", numpy.arange(identity.height))
    family_number = identity["family_number"].to_numpy()
    families = builder.declare_entity("family", numpy.arange(int(family_number.max()) + 1 if identity.height else 0))
    builder.join_with_persons(families, family_number, identity["relationship"].to_numpy())
    simulation = builder.build(system)
    for name, values in inputs.items():
        eternal = system.variables[name].definition_period == ETERNITY
        simulation.set_input(name, make_period(ETERNITY) if eternal else month, values)
    return simulation


def omr_text(baisa: pl.Expr) -> pl.Expr:
    """Non-negative baisa as OMR text with exactly 3 decimals: 257148 -> '257.148'."""
    return (baisa // 1000).cast(pl.String) + "." + (baisa % 1000).cast(pl.String).str.zfill(3)


def compute(simulation: Simulation, month: str) -> dict[str, numpy.ndarray]:
    """Each programme's amount (baisa) on every person's row; Family Income Support on the head's row."""
    amounts = {key: simulation.calculate(key, month) for key in PERSON_PROGRAMMES}
    per_family = simulation.calculate(FAMILY_PROGRAMME, month)
    is_head = simulation.persons.has_role(Family.HEAD)
    amounts[FAMILY_PROGRAMME] = numpy.where(is_head, simulation.populations["family"].project(per_family), 0)
    return amounts


def entitlements(amounts: dict[str, numpy.ndarray], identity: pl.DataFrame, month: str) -> pl.DataFrame:
    """One row per person and programme with a positive amount, sorted by family, person and programme."""
    parts = []
    for key, amount in amounts.items():
        rows = numpy.flatnonzero(amount > 0)
        paid = pl.DataFrame({"row": rows, "baisa": amount[rows]}, schema={"row": pl.Int64, "baisa": pl.Int64})
        parts.append(paid.with_columns(programme=pl.lit(key)))
    paid = pl.concat(parts)
    return (
        paid.lazy()
        .select(
            pl.lit(month).alias("period"),
            identity["family_id"].gather(paid["row"]).alias("family_id"),
            identity["person_id"].gather(paid["row"]).alias("person_id"),
            "programme",
            "baisa",
        )
        .sort("family_id", "person_id", "programme")
        .select("period", "family_id", "person_id", "programme", omr_text(pl.col("baisa")).alias("amount"))
        .collect()
    )


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Written beside its target and renamed into place, as `himaya` does."""
    partial = path.with_name(f".{path.name}.partial")
    frame.write_parquet(partial)
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", type=Path)
    parser.add_argument("--period", required=True, help="YYYY-MM")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    month = str(make_period(args.period))
    if make_period(args.period).unit != "month" or month < FIRST_PERIOD:
        raise SystemExit(f"period {args.period}: give a month from {FIRST_PERIOD} on")
    phases = [("start", time.perf_counter())]
    system = OmanTaxBenefitSystem()
    phases.append(("system", time.perf_counter()))
    identity, inputs = prepare(pl.read_parquet(args.people), system)
    phases.append(("read", time.perf_counter()))
    simulation = build_simulation(system, identity, inputs, month)
    del inputs
    phases.append(("build", time.perf_counter()))
    amounts = compute(simulation, month)
    phases.append(("compute", time.perf_counter()))
    table = entitlements(amounts, identity, month)
    write_parquet(table, args.output)
    phases.append(("write", time.perf_counter()))
    steps = ", ".join(f"{name} {end - start:.2f} s" for (_, start), (name, end) in itertools.pairwise(phases))
    print(f"openfisca: {len(identity):,} persons -> {len(table):,} rows; {steps}", file=sys.stderr)


if __name__ == "__main__":
    main()
