"""Reform simulation: the baseline and a reform on the same population, side by side.

Both run through the same engine (`himaya.policy.engine.evaluate`) for one month; everything
else is arithmetic on the two sets of amounts: beneficiaries and cost by programme, coverage by
life-cycle group and governorate, poverty before and after transfers, the Gini coefficient, and
gainers and losers by income decile. Amounts are integer baisa; annual cost is 12 months of the
month simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl

from himaya.analysis.measures import Poverty, deciles, gini, poverty
from himaya.analysis.targeting import targeting
from himaya.core.errors import HimayaError
from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.engine import evaluate
from himaya.policy.pack import AnalysisInputs, PolicyPack, Unit, amount_of
from himaya.policy.parameters import ParameterError, ParameterTree

# Life-cycle groups: children under 18, the elderly from 60, working age between; persons with
# disabilities are those the pack's analysis inputs say (Oman: a disability card), at any age. Whom
# coverage is measured among (the nationality the benefits are for), the cash incomes before
# transfers and the poverty line are the pack's too (`PolicyPack.analysis`).
CHILD_UNTIL = 18
ELDERLY_FROM = 60
GROUPS = {
    "children": Text("Children (under 18)", "الأطفال (دون 18)"),
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
            **({} if self.targeting is None else {"targeting": self.targeting.to_dicts()}),
        }


def births_warning(people: pl.DataFrame, period: Period) -> str | None:
    """Issue 16: a people table is drawn on a day, and nobody born after it is in it. Simulated for a
    month well after that day (the newest birth is the nearest sign of it), it lacks the children
    born since: the child benefit and the families' sizes come out low. Said, not corrected."""
    newest = people["birth_date"].max() if people.height else None
    if not isinstance(newest, date) or (days := (period.start - newest).days) <= NO_BIRTHS_AFTER_DAYS:
        return None
    months = round(days / 30.44)  # the mean month
    return (
        f"the population has no one born after {newest.isoformat()}, about {months} month{'s' * (months != 1)} "
        f"before {period}: the children born since are missing from it, so the child benefit and the families' "
        "sizes are understated; simulate a month near the population's date, or bring the population forward"
    )


def _age_at(day: date) -> pl.Expr:
    born = pl.col("birth_date")
    before_birthday = (born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)) > (
        day.month * 100 + day.day
    )
    return pl.lit(day.year, pl.Int32) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def _amounts(people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, period: Period, prefix: str) -> pl.DataFrame:
    keys = [p.key for p in pack.programmes]
    wide = evaluate(people, pack, tree, period)
    return wide.select(amount_of(key).alias(f"{prefix}.{key}") for key in keys)


def simulate(
    people: pl.DataFrame,
    pack: PolicyPack,
    baseline: ParameterTree,
    reform: ParameterTree,
    period: Period,
    *,
    reform_name: str = "reform",
) -> Simulation:
    """Run the month under `baseline` and under `reform` and compare them."""
    inputs = _inputs(pack)
    line = PovertyLine.of(reform, period.start, inputs)  # one line for all three incomes; a reform may move it
    keys = [p.key for p in pack.programmes]
    family = pack.family_column
    person_level = [k for k in keys if pack.programme(k).unit is Unit.PERSON]
    family_level = [k for k in keys if pack.programme(k).unit is Unit.FAMILY]
    frame = pl.concat(
        [
            people,
            _amounts(people, pack, baseline, period, "baseline"),
            _amounts(people, pack, reform, period, "reform"),
        ],
        how="horizontal",
    ).lazy()
    living = (
        pl.col("resident")
        & (pl.col("death_date").is_null() | (pl.col("death_date") >= period.start))
        & (pl.col("birth_date") <= period.end)
    )
    # Families by a small integer: windows and sorts on it are several times faster than on text.
    frame = frame.with_columns(pl.col(family).cast(pl.Categorical).to_physical().alias("__family"))
    frame = frame.with_columns(
        _age_at(period.start).alias("__age"),
        living.alias("__living"),
        (pl.col("nationality") == inputs.citizenship).alias("__citizen"),
        inputs.disabled.fill_null(False).alias("__disabled"),
        *[
            pl.sum_horizontal([pl.col(f"{state}.{k}") for k in keys]).alias(f"__{state}_transfers")
            for state in ("baseline", "reform")
        ],
        *[_covered(state, person_level, family_level) for state in ("baseline", "reform")],
    )
    places = ["governorate"] if "governorate" in people.columns else []
    kept = [family, "nationality", *inputs.income_columns, *places]
    frame = frame.select(*kept, pl.col("^(baseline|reform)\\..*$"), pl.col("^__.*$")).collect().lazy()
    names = {p.key: p.name for p in pack.programmes}
    programmes = _programmes(frame, keys, names)
    coverage = _coverage(frame)
    governorates = _governorates(frame) if "governorate" in people.columns else None
    households = _households(frame, inputs.income_columns).collect().lazy()  # read many times below
    elasticity = float(line.elasticity)
    poverty_by = _poverty_by(households, line)
    return Simulation(
        period=period,
        reform_name=reform_name,
        persons=people.height,
        programmes=programmes,
        coverage=coverage,
        governorates=governorates,
        poverty=poverty_by,
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
        warnings=tuple(w for w in [births_warning(people, period)] if w),
        targeting=_targeting(households, line) if inputs.targeting else None,
    )


def _poverty_by(households: pl.LazyFrame, line: PovertyLine) -> dict[str, dict[str, Poverty]]:
    """Poverty of the residents and of the citizens, before transfers and after each design's."""
    poverty_by: dict[str, dict[str, Poverty]] = {}
    for population, mask in (("residents", pl.lit(True)), ("citizens", pl.col("__citizen"))):
        members = households.filter(mask)
        poverty_by[population] = {
            state: poverty(members, f"__{state}_income", line=float(line.line_baisa), elasticity=float(line.elasticity))
            for state in STATES
        }
    return poverty_by


def _targeting(households: pl.LazyFrame, line: PovertyLine) -> pl.DataFrame:
    return targeting(households, line=float(line.line_baisa), elasticity=float(line.elasticity))


def _inputs(pack: PolicyPack) -> AnalysisInputs:
    if pack.analysis is None:
        raise SimulationError(f"the {pack.name} pack gives no analysis inputs (poverty line, incomes)")
    return pack.analysis


def _covered(state: str, person_level: list[str], family_level: list[str]) -> pl.Expr:
    """Receives a benefit of their own, or is in a family that receives a family benefit."""
    own = [pl.col(f"{state}.{k}") > 0 for k in person_level]
    family = [pl.col(f"{state}.{k}").sum().over("__family") > 0 for k in family_level]
    return pl.any_horizontal([*own, *family]).alias(f"__{state}_covered")


def _programmes(frame: pl.LazyFrame, keys: list[str], names: dict[str, Text]) -> pl.DataFrame:
    sums = frame.select(
        *[
            expr
            for state in ("baseline", "reform")
            for key in keys
            for expr in (
                (pl.col(f"{state}.{key}") > 0).sum().cast(pl.Int64).alias(f"{state}.{key}.recipients"),
                pl.col(f"{state}.{key}").sum().cast(pl.Int64).alias(f"{state}.{key}.monthly"),
            )
        ]
    ).collect()
    return pl.DataFrame(
        [
            {
                "programme": key,
                "name_en": names[key].en,
                "name_ar": names[key].ar,
                **{
                    f"{state}_{figure}": int(sums[f"{state}.{key}.{column}"][0])
                    for state in ("baseline", "reform")
                    for figure, column in (("recipients", "recipients"), ("monthly_baisa", "monthly"))
                },
            }
            for key in keys
        ]
    )


def _group(age: pl.Expr) -> pl.Expr:
    return (
        pl.when(age < CHILD_UNTIL)
        .then(pl.lit("children"))
        .when(age < ELDERLY_FROM)
        .then(pl.lit("working_age"))
        .otherwise(pl.lit("elderly"))
    )


def _coverage(frame: pl.LazyFrame) -> pl.DataFrame:
    """Share of citizens living in Oman in each life-cycle group who receive something (a benefit of
    their own, or Family Income Support paid to their family)."""
    citizens = frame.filter(pl.col("__living") & pl.col("__citizen"))
    shares = [pl.len().alias("persons"), pl.col("__baseline_covered").mean(), pl.col("__reform_covered").mean()]
    by_age = citizens.group_by(_group(pl.col("__age")).alias("group")).agg(shares)
    disabled = citizens.filter(pl.col("__disabled")).select(pl.lit("disability").alias("group"), *shares)
    table = pl.concat([by_age, disabled]).collect()
    order = list(GROUPS)
    rows = {row["group"]: row for row in table.to_dicts()}
    return pl.DataFrame(
        [
            {
                "group": group,
                "name_en": GROUPS[group].en,
                "name_ar": GROUPS[group].ar,
                "persons": int(rows.get(group, {}).get("persons") or 0),
                "baseline_covered": float(rows.get(group, {}).get("__baseline_covered") or 0.0),
                "reform_covered": float(rows.get(group, {}).get("__reform_covered") or 0.0),
            }
            for group in order
        ]
    )


def _governorates(frame: pl.LazyFrame) -> pl.DataFrame:
    citizens = pl.col("__living") & pl.col("__citizen")
    return (
        frame.group_by(pl.col("governorate").fill_null("(unknown)"))
        .agg(
            citizens.sum().cast(pl.Int64).alias("citizens"),
            pl.col("__baseline_covered").filter(citizens).mean().fill_null(0.0).alias("baseline_covered"),
            pl.col("__reform_covered").filter(citizens).mean().fill_null(0.0).alias("reform_covered"),
            pl.col("__baseline_transfers").sum().cast(pl.Int64).alias("baseline_monthly_baisa"),
            pl.col("__reform_transfers").sum().cast(pl.Int64).alias("reform_monthly_baisa"),
        )
        .sort("governorate")
        .collect()
    )


def _households(frame: pl.LazyFrame, incomes: tuple[str, ...]) -> pl.LazyFrame:
    """One row per person living in the country, with their family's size, income and transfers
    (the currency's smallest unit a month)."""
    living = frame.filter(pl.col("__living"))
    cash = pl.sum_horizontal([pl.col(c).fill_null(0) for c in incomes])
    return living.select(
        pl.col("__family").alias("family"),
        pl.col("__citizen"),
        pl.len().over("__family").alias("size"),
        pl.col("__family").is_first_distinct().alias("first"),
        cash.sum().over("__family").alias("__before_income"),
        pl.col("__baseline_transfers").sum().over("__family").alias("__baseline_family_transfers"),
        pl.col("__reform_transfers").sum().over("__family").alias("__reform_family_transfers"),
    ).with_columns(
        (pl.col("__before_income") + pl.col("__baseline_family_transfers")).alias("__baseline_income"),
        (pl.col("__before_income") + pl.col("__reform_family_transfers")).alias("__reform_income"),
    )
