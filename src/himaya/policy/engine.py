"""Run a policy pack over a whole population for one month, in a handful of vectorised passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from himaya.core.errors import HimayaError
from himaya.core.money import OMR
from himaya.core.periods import Period
from himaya.policy.pack import Adjustment, PolicyPack, Programme, Rule, Unit, Withholding, amount_of
from himaya.policy.parameters import ParameterTree
from himaya.policy.table import money_text


class PeriodError(HimayaError):
    """A period the policy pack does not cover."""


@dataclass(frozen=True)
class StepResult:
    """What one step decided, with the parameters its rule read (for explanations)."""

    step: Programme | Adjustment
    rule: Rule | tuple[Withholding, ...]
    parameters_used: tuple[str, ...]


def check_period(pack: PolicyPack, period: Period) -> None:
    if period < pack.first_period:
        raise PeriodError(f"period {period} is before {pack.first_period}, the first month the {pack.name} pack covers")


# Plans by (pack, tree, period): building one takes milliseconds, and a service explaining family
# after family for the same month would otherwise rebuild the same expressions every time. The
# objects themselves are kept in the entry, so their ids cannot be reused while it lives.
_PLANS: dict[tuple[int, int, Period], tuple[PolicyPack, ParameterTree, list[StepResult]]] = {}
_PLANS_KEPT = 64


def plan(pack: PolicyPack, tree: ParameterTree, period: Period) -> list[StepResult]:
    """Resolve the parameters for the period and build every step's expressions (kept for reuse:
    packs and parameter trees do not change once loaded)."""
    key = (id(pack), id(tree), period)
    kept = _PLANS.get(key)
    if kept is not None and kept[0] is pack and kept[1] is tree:
        return kept[2]
    results = _build_plan(pack, tree, period)
    if len(_PLANS) >= _PLANS_KEPT:
        _PLANS.clear()
    _PLANS[key] = (pack, tree, results)
    return results


def _build_plan(pack: PolicyPack, tree: ParameterTree, period: Period) -> list[StepResult]:
    check_period(pack, period)
    resolved = tree.at(period.start)
    results = []
    for step in pack.steps:
        view = resolved.recording()
        results.append(StepResult(step, step.rule(view, period), tuple(view.used)))
    return results


def _eligible(rule: Rule) -> pl.Expr:
    return pl.all_horizontal([check.expr for check in rule.checks])


def _step_stages(pack: PolicyPack, result: StepResult, *, detail: bool) -> list[list[pl.Expr]]:
    """The passes of one step. Withholdings run one after another, so each reads the amounts the
    ones before it left (a benefit withheld by one rule cannot withhold another)."""
    if isinstance(result.rule, Rule):
        assert isinstance(result.step, Programme)
        rule = result.rule
        paid = pl.when(_eligible(rule)).then(rule.amount.clip(lower_bound=0)).otherwise(0)
        if result.step.unit is Unit.FAMILY:
            paid = pl.when(pack.recipient).then(paid).otherwise(0)
        columns = [paid.cast(pl.Int64).alias(f"amount.{result.step.key}")]
        if detail:
            columns += _detail_columns(result.step.key, rule)
        return [columns]
    stages = []
    for index, withholding in enumerate(result.rule):
        withheld = withholding.when.fill_null(False)
        stage = [
            pl.when(withheld)
            .then(0)
            .otherwise(amount_of(withholding.programme))
            .alias(f"amount.{withholding.programme}")
        ]
        if detail:
            stage.append(withheld.alias(withheld_column(result.step.key, index)))
        stages.append(stage)
    return stages


def withheld_column(adjustment: str, index: int) -> str:
    return f"withheld.{adjustment}.{index}"


def _detail_columns(key: str, rule: Rule) -> list[pl.Expr]:
    columns = [check.expr.fill_null(False).alias(f"check.{key}.{check.key}") for check in rule.checks]
    columns += [figure.expr.alias(f"figure.{key}.{figure.key}") for figure in rule.figures]
    columns += [figure.expr.alias(f"member.{key}.{figure.key}") for figure in rule.member_figures]
    return columns


def evaluate(
    people: pl.DataFrame,
    pack: PolicyPack,
    tree: ParameterTree,
    period: Period,
    *,
    detail: bool = False,
    engine: Literal["auto", "in-memory"] = "auto",
) -> pl.DataFrame:
    """The people table with one `amount.<programme>` column (the currency's smallest unit) per programme.

    With `detail`, also every check (`check.<programme>.<key>`), figure and withholding, for
    explanations. Each step is one `with_columns` over the whole table: later steps see the amounts
    of earlier ones. `engine` is Polars': "in-memory" costs a quarter less CPU on a few families
    (a page's explanation), "auto" (streaming) half as much on a country.
    """
    return planned(people, pack, tree, period, detail=detail).collect(engine=engine)


def planned(
    people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, period: Period, *, detail: bool
) -> pl.LazyFrame:
    """`evaluate`'s query, not yet run (several months' are run at once by `pl.collect_all`)."""
    frame = people.lazy().with_columns(pack.derived)
    for columns in passes(pack, tree, period, detail=detail):
        frame = frame.with_columns(columns)
    return frame


# Every pass's expressions by (pack, tree, period, detail), built once as the plans are: a page
# explains two months of one family, and building the passes anew cost a millisecond of each.
_PASSES: dict[tuple[int, int, Period, bool], tuple[PolicyPack, ParameterTree, list[list[pl.Expr]]]] = {}


def passes(pack: PolicyPack, tree: ParameterTree, period: Period, *, detail: bool) -> list[list[pl.Expr]]:
    """The `with_columns` passes of the period's plan, in order: each rule's stages, then its
    amount (with its checks and figures when `detail`); kept for reuse as `plan` is."""
    key = (id(pack), id(tree), period, detail)
    kept = _PASSES.get(key)
    if kept is not None and kept[0] is pack and kept[1] is tree:
        return kept[2]
    built: list[list[pl.Expr]] = []
    for result in plan(pack, tree, period):
        if isinstance(result.rule, Rule):
            built += [list(stage) for stage in result.rule.stages]
        built += _step_stages(pack, result, detail=detail)
    if len(_PASSES) >= _PLANS_KEPT:
        _PASSES.clear()
    _PASSES[key] = (pack, tree, built)
    return built


def entitlements(people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, period: Period) -> pl.DataFrame:
    """The entitlements table: one row per person and programme with a positive amount.

    Sorted by family, person and programme; `amount` is decimal text of the pack's currency
    ('10.000' rials, '125000' dinars).
    """
    wide = evaluate(people, pack, tree, period)
    keys = [p.key for p in pack.programmes]
    long = pl.concat(
        [
            wide.lazy()
            .filter(amount_of(key) > 0)
            .select(
                pl.col(pack.family_column).alias("family_id"),
                pl.col(pack.person_column).alias("person_id"),
                pl.lit(key).alias("programme"),
                amount_of(key).alias("minor"),
            )
            for key in keys
        ]
    )
    return (
        long.sort("family_id", "person_id", "programme")
        .select(
            pl.lit(str(period)).alias("period"),
            "family_id",
            "person_id",
            "programme",
            money_text(pl.col("minor"), pack.currency).alias("amount"),
        )
        .collect()
    )


def omr_text(baisa: pl.Expr) -> pl.Expr:
    """Non-negative baisa as OMR text with exactly 3 decimals: 257148 -> '257.148'. For what speaks
    OMR only still (the payroll API's amounts, the payroll diff's words); the payroll's commands and
    bank files use the registry's pack's currency (`policy.table.money_text`)."""
    return money_text(baisa, OMR)
