"""Reform simulation: the baseline and a reform on the same population, side by side.

Both run through the same engine (`himaya.policy.engine.evaluate`) for one month; everything
else is arithmetic on the two sets of amounts: beneficiaries and cost by programme, coverage by
life-cycle group and governorate, poverty before and after transfers, the Gini coefficient, and
gainers and losers by income decile. Amounts are integer baisa; annual cost is 12 months of the
month simulated.

A table is simulated as one part (`analysis/parts.py`), a dataset's files as one part each (in this
process or on a Dask cluster), and the parts are combined: the figures are the same to the last
bit for the same people as one table or as the files of any dataset (`analysis/measures.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl

from himaya.analysis.measures import FAMILY, HOUSEHOLD, Poverty, by_household, deciles, gini, poverty
from himaya.analysis.parts import CHILD_UNTIL, DESIGNS, Part, simulate_part
from himaya.analysis.targeting import targeting
from himaya.core.errors import HimayaError
from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import AnalysisInputs, PolicyPack
from himaya.policy.parameters import ParameterError, ParameterTree

# Life-cycle groups (`analysis/parts.py`): children under CHILD_UNTIL, the elderly from ELDERLY_FROM,
# working age between; persons with disabilities are those the pack's analysis inputs say (Oman: a
# disability card), at any age. Whom coverage is measured among (the nationality the benefits are
# for), the cash incomes before transfers and the poverty line are the pack's too (`PolicyPack.analysis`).
GROUPS = {
    "children": Text(f"Children (under {CHILD_UNTIL})", f"الأطفال (دون {CHILD_UNTIL})"),
    "working_age": Text("Working age (18-59)", "سن العمل (18-59)"),
    "elderly": Text("Elderly (60 and over)", "كبار السن (60 فأكثر)"),
    "disability": Text("Persons with disabilities", "الأشخاص ذوو الإعاقة"),
}
STATES = ("before", "baseline", "reform")  # income before transfers, after today's, after the reform's
NO_BIRTHS_AFTER_DAYS = 31  # a population with no birth in the month before the period's start is out of date


class SimulationError(HimayaError):
    """A simulation that cannot run as asked."""


@dataclass(frozen=True)
class PovertyLine:
    line_baisa: int  # per adult equivalent, a month
    elasticity: Fraction  # adult equivalents = family size ** elasticity
    reference: str
    status: str

    @classmethod
    def of(cls, tree: ParameterTree, day: date, inputs: AnalysisInputs) -> PovertyLine:
        """The line the pack's analysis inputs name; per person when they name no equivalence scale."""
        try:
            line = tree[inputs.poverty_line]
            value = line.value_at(day).value
            scale = inputs.equivalence_elasticity
            exponent = Fraction(1) if scale is None else tree[scale].value_at(day).value
        except ParameterError as error:
            raise SimulationError(f"the pack's poverty line cannot be used: {error}") from None
        if not isinstance(value, int) or isinstance(value, bool) or not isinstance(exponent, Fraction):
            raise SimulationError(
                f"the pack's poverty line {inputs.poverty_line} must be an amount and its scale a number"
            )
        return cls(value, exponent, line.reference_at(day), line.status.value)


@dataclass(frozen=True)
class Simulation:
    period: Period
    reform_name: str
    persons: int
    programmes: pl.DataFrame  # programme, name_en, name_ar, {baseline,reform}_{recipients,monthly_baisa}
    coverage: pl.DataFrame  # group, persons, baseline_covered, reform_covered (shares)
    governorates: pl.DataFrame | None  # governorate, persons, coverage and monthly cost, when known
    poverty: dict[str, dict[str, Poverty]]  # population -> state -> measures
    gini: dict[str, float]  # state -> Gini over all residents
    deciles: pl.DataFrame
    line: PovertyLine
    names: dict[str, Text]
    currency: Currency  # of every amount (the `_baisa` figures are in its smallest unit)
    coverage_title: Text
    money: Text  # the currency in a chart's words
    warnings: tuple[str, ...] = ()  # what the reader must know before the figures
    # What poverty, inequality, the deciles and targeting are measured on ("household" or "family"),
    # and what the reader must know of it (None: the pack knows no household, the family it is).
    unit: str = "family"
    unit_note: str | None = None
    # Each design's inclusion and exclusion errors against incomes before transfers (when the pack asks).
    targeting: pl.DataFrame | None = None

    def total(self, scenario: str) -> int:
        """Monthly cost of every programme together, in baisa."""
        return int(self.programmes[f"{scenario}_monthly_baisa"].sum())

    def as_dict(self) -> dict[str, Any]:
        """Everything, for machines: baisa as integers, shares as fractions of 1."""
        return {
            "period": str(self.period),
            "reform": self.reform_name,
            "persons": self.persons,
            "programmes": [
                {
                    **row,
                    "baseline_annual_baisa": 12 * row["baseline_monthly_baisa"],
                    "reform_annual_baisa": 12 * row["reform_monthly_baisa"],
                }
                for row in self.programmes.to_dicts()
            ],
            "coverage": self.coverage.to_dicts(),
            "governorates": None if self.governorates is None else self.governorates.to_dicts(),
            "poverty_line": {
                "monthly_baisa_per_adult_equivalent": self.line.line_baisa,
                "equivalence_elasticity": float(self.line.elasticity),
                "reference": self.line.reference,
                "status": self.line.status,
            },
            "poverty": {
                population: {state: measures.as_dict() for state, measures in by_state.items()}
                for population, by_state in self.poverty.items()
            },
            "gini": self.gini,
            "deciles": self.deciles.to_dicts(),
            "warnings": list(self.warnings),
            "poverty_unit": {"unit": self.unit, "note": self.unit_note},
            **({} if self.targeting is None else {"targeting": self.targeting.to_dicts()}),
        }


def births_warning(people: pl.DataFrame, period: Period) -> str | None:
    """Issue 16: a people table is drawn on a day, and nobody born after it is in it. Simulated for a
    month well after that day (the newest birth is the nearest sign of it), it lacks the children
    born since: the child benefit and the families' sizes come out low. Said, not corrected."""
    newest = people["birth_date"].max() if people.height else None
    return _births_warning(newest if isinstance(newest, date) else None, period)


def _births_warning(newest: date | None, period: Period) -> str | None:
    if newest is None or (days := (period.start - newest).days) <= NO_BIRTHS_AFTER_DAYS:
        return None
    months = round(days / 30.44)  # the mean month
    return (
        f"the population has no one born after {newest.isoformat()}, about {months} month{'s' * (months != 1)} "
        f"before {period}: the children born since are missing from it, so the child benefit and the families' "
        "sizes are understated; simulate a month near the population's date, or bring the population forward"
    )


def simulate(
    people: pl.DataFrame,
    pack: PolicyPack,
    baseline: ParameterTree,
    reform: ParameterTree,
    period: Period,
    *,
    reform_name: str = "reform",
) -> Simulation:
    """Run the month under `baseline` and under `reform` and compare them (the table as one part)."""
    PovertyLine.of(reform, period.start, analysis_inputs(pack))  # a line that cannot be used: said before the work
    part = simulate_part(people, pack, analysis_inputs(pack), baseline, reform, period)
    return combine([part], pack, reform, period, reform_name=reform_name)


def combine(
    parts: list[Part], pack: PolicyPack, reform: ParameterTree, period: Period, *, reform_name: str = "reform"
) -> Simulation:
    """The simulation of the people of every part together (each part's families its own: a family
    in two parts is refused, it would be measured as two)."""
    inputs = analysis_inputs(pack)
    line = PovertyLine.of(reform, period.start, inputs)  # one line for all three incomes; a reform may move it
    if not parts:
        raise SimulationError("no people to simulate: no part was given")
    families = pl.concat([p.families for p in parts])
    split = families.filter(pl.col(FAMILY).is_duplicated())[FAMILY].unique().sort()
    if split.len():
        raise SimulationError(f"family {split[0]} is in two parts of the population: each family must be in one")
    units, unit, note = _welfare_units(families, inputs)
    households = units.with_columns(
        *[(pl.col("__before_income") + pl.col(f"__{d}_family_transfers")).alias(f"__{d}_income") for d in DESIGNS]
    ).lazy()
    elasticity = float(line.elasticity)
    names = {p.key: p.name for p in pack.programmes}
    newest = max((p.newest_birth for p in parts if p.newest_birth is not None), default=None)
    governorates = [p.governorates for p in parts if p.governorates is not None]
    return Simulation(
        period=period,
        reform_name=reform_name,
        persons=sum(p.persons for p in parts),
        programmes=_programmes(parts, [p.key for p in pack.programmes], names),
        coverage=_coverage(parts),
        governorates=_governorates(governorates) if len(governorates) == len(parts) else None,
        poverty=_poverty_by(households, line),
        gini={state: gini(households, f"__{state}_income", elasticity=elasticity) for state in STATES},
        deciles=deciles(
            households,
            before="__before_income",
            baseline="__baseline_family_transfers",
            reform="__reform_family_transfers",
            elasticity=elasticity,
        ),
        line=line,
        names=names,
        currency=pack.currency,
        coverage_title=inputs.coverage_title,
        money=inputs.money,
        warnings=tuple(w for w in [_births_warning(newest, period)] if w),
        targeting=targeting(households, line=float(line.line_baisa), elasticity=elasticity)
        if inputs.targeting
        else None,
        unit=unit,
        unit_note=note,
    )


def _welfare_units(families: pl.DataFrame, inputs: AnalysisInputs) -> tuple[pl.DataFrame, str, str | None]:
    """What poverty and inequality are measured on: the households when the table names them (the
    pack's household column), else the families, with a note when the pack has households and the
    table does not name them. The units, "household" or "family", and the note."""
    if inputs.household is None:
        return families, "family", None
    column = inputs.household.name
    if families[HOUSEHOLD].is_null().all():
        note = (
            f"the population has no {column}: poverty, inequality, deciles and targeting are measured per "
            "family, not per household; a family living in a larger household (with the parents' family) is "
            "measured on its own income alone, so poverty comes out higher than on the households"
        )
        return families, "family", note
    sums = ("size", "citizens", "__before_income", *[f"__{d}_family_transfers" for d in DESIGNS])
    units = by_household(families, sums=sums)
    alone = int(families[HOUSEHOLD].is_null().sum())
    said = f" ({alone:,} famil{'y' if alone == 1 else 'ies'} naming none counted as households of their own)"
    note = (
        f"poverty, inequality, deciles and targeting are measured per household ({column}): {units.height:,} "
        f"households of {families.height:,} families" + (said if alone else "")
    )
    return units, "household", note


def _poverty_by(households: pl.LazyFrame, line: PovertyLine) -> dict[str, dict[str, Poverty]]:
    """Poverty of the residents and of the citizens, before transfers and after each design's. A
    family's shortfall is counted among the citizens when its first member is one."""
    at, elasticity = float(line.line_baisa), float(line.elasticity)
    return {
        "residents": {
            state: poverty(households, f"__{state}_income", line=at, elasticity=elasticity) for state in STATES
        },
        "citizens": {
            state: poverty(
                households,
                f"__{state}_income",
                line=at,
                elasticity=elasticity,
                persons="citizens",
                counted=pl.col("first_citizen"),
            )
            for state in STATES
        },
    }


def analysis_inputs(pack: PolicyPack) -> AnalysisInputs:
    if pack.analysis is None:
        raise SimulationError(f"the {pack.name} pack gives no analysis inputs (poverty line, incomes)")
    return pack.analysis


def _programmes(parts: list[Part], keys: list[str], names: dict[str, Text]) -> pl.DataFrame:
    def total(name: str) -> int:
        return sum(p.sums[name] for p in parts)

    return pl.DataFrame(
        [
            {
                "programme": key,
                "name_en": names[key].en,
                "name_ar": names[key].ar,
                **{
                    f"{design}_{figure}": total(f"{design}.{key}.{column}")
                    for design in DESIGNS
                    for figure, column in (("recipients", "recipients"), ("monthly_baisa", "monthly"))
                },
            }
            for key in keys
        ]
    )


def _coverage(parts: list[Part]) -> pl.DataFrame:
    """Share of the citizens living in the country in each life-cycle group who receive something (a
    benefit of their own, or a family benefit paid to their family)."""
    counts = pl.concat([p.coverage for p in parts]).group_by("group").sum()
    rows = {row["group"]: row for row in counts.to_dicts()}
    table = []
    for group, name in GROUPS.items():
        row = rows.get(group, {})
        persons = int(row.get("persons") or 0)
        table.append(
            {
                "group": group,
                "name_en": name.en,
                "name_ar": name.ar,
                "persons": persons,
                **{f"{d}_covered": int(row.get(f"{d}_covered") or 0) / persons if persons else 0.0 for d in DESIGNS},
            }
        )
    return pl.DataFrame(table)


def _governorates(parts: list[pl.DataFrame]) -> pl.DataFrame:
    counts = pl.concat(parts).group_by("governorate").sum()
    share = {
        f"{d}_covered": pl.when(pl.col("citizens") > 0).then(pl.col(f"{d}_covered") / pl.col("citizens")).otherwise(0.0)
        for d in DESIGNS
    }
    return counts.select(
        "governorate", "citizens", *[v.alias(k) for k, v in share.items()], *[f"{d}_monthly_baisa" for d in DESIGNS]
    ).sort("governorate")
