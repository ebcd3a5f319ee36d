"""What an award is made of, decided without the store: the benefit computed from the career (the same
functions as `himaya insurance pension|job-security|maternity`), refused when the rules do not
entitle the person (naming the rule), its dates, and the overlap of two awards of one benefit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from himaya.core.errors import InvalidInputError, NamedRuleError
from himaya.core.periods import Period
from himaya.insurance import benefits
from himaya.insurance import job_security as security
from himaya.insurance import maternity as births
from himaya.insurance.award_model import BENEFIT_NAMES, AwardConflictError, Benefit, Survivor
from himaya.insurance.pension import Kind, Status
from himaya.insurance.pension_explain import STATUS_NAMES, PensionExplanation
from himaya.insurance.pension_terms import sharing_table
from himaya.insurance.survivors import shares
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree

# The rule a person not entitled is refused by: the parameter that decided it, by benefit and status.
MINIMUM_MONTHS = {
    Benefit.OLD_AGE: "insurance.pension.minimum_months",
    Benefit.DISABILITY: "insurance.invalidity.minimum_months",
    Benefit.SURVIVOR: "insurance.invalidity.minimum_months",
    Benefit.JOB_SECURITY: "insurance.job_security.benefit.qualifying",
    Benefit.MATERNITY: "insurance.maternity.benefit.minimum_months",
}
RULES: dict[Status, Callable[[Benefit], str]] = {
    Status.TOO_YOUNG: lambda _: "insurance.pension.age",
    Status.TOO_FEW_MONTHS: MINIMUM_MONTHS.__getitem__,
    Status.DEAD: lambda _: "the person's death before the day",
    Status.BEFORE_BRANCH: lambda _: "insurance.maternity.benefit.days",
}


@dataclass(frozen=True)
class Terms:
    """An award's figures as computed: amount (baisa a month; maternity: the whole leave's), dates,
    the explanation it came from, and a survivor pension's shares (group, member, share, amount)."""

    explained: PensionExplanation
    amount: int
    start: date
    end: date | None
    claim: int | None
    shares: pl.DataFrame | None


def compute(
    pack: PolicyPack,
    tree: ParameterTree,
    benefit: Benefit,
    people: pl.DataFrame,
    lines: pl.DataFrame,
    day: date,
    *,
    start: date | None,
    claim: int,
    survivors: tuple[Survivor, ...],
) -> Terms:
    """The award's terms from the person's registry row and declared lines; InvalidInputError if the
    rules do not entitle them on `day` (naming the rule), or the survivors do not fit the benefit."""
    if (benefit is Benefit.SURVIVOR) != bool(survivors):
        raise InvalidInputError(
            "a survivor pension names its survivors (--widow, --child, --parent), and only a survivor pension does"
        )
    split = None
    if benefit is Benefit.JOB_SECURITY:
        benefits.check_claim(pack, day, claim)
        explained = benefits.job_security_of(pack, tree, people, lines, day, claim)
        first = start or Period.containing(day).shifted(1).start  # paid from the month after the loss
        months = security.job_security_terms(tree, day).months  # at most, a claim
        end: date | None = Period.containing(first).shifted(months - 1).end
    elif benefit is Benefit.MATERNITY:
        explained = benefits.maternity_of(pack, tree, people, lines, day)
        first = start or day
        end = first + timedelta(days=max(births.maternity_terms(tree, day).days, 1) - 1)
    else:
        kind = {Benefit.OLD_AGE: Kind.OLD_AGE, Benefit.DISABILITY: Kind.DISABILITY, Benefit.SURVIVOR: Kind.DEATH}
        explained = benefits.pension_of(pack, tree, people, lines, kind[benefit], day)
        first = start or (Period.containing(day).shifted(1).start if benefit is Benefit.SURVIVOR else day)
        end = None
    _entitled(explained, benefit)
    if benefit is Benefit.SURVIVOR:
        counts = {g: sum(1 for s in survivors if s.group.value == g) for g in ("widows", "children", "parents")}
        split = shares(explained.pension, counts, sharing_table(tree, day))
    if first < day and benefit is not Benefit.MATERNITY:
        raise InvalidInputError(f"--from {first} is before the day the benefit was computed for, {day}")
    return Terms(explained, explained.pension, first, end, claim if benefit is Benefit.JOB_SECURITY else None, split)


def _entitled(explained: PensionExplanation, benefit: Benefit) -> None:
    if explained.status is Status.ENTITLED and explained.pension > 0:
        return
    status = explained.status if explained.status is not Status.ENTITLED else Status.TOO_FEW_MONTHS
    rule = RULES[status](benefit)
    raise NamedRuleError(
        f"civil number {explained.civil_number!r}: no {BENEFIT_NAMES[benefit].en} on {explained.day} "
        f"({STATUS_NAMES[status].en}; rule: {rule}); nothing was awarded",
        f"award.{status.value}",
        civil_number=explained.civil_number,
        parameter=rule,
    )


def parameters_json(pack: PolicyPack, tree: ParameterTree, explained: PensionExplanation, reform: str | None) -> str:
    """The parameters the award was computed with: path, value, status, reference and the day its
    value took effect (its version), with the pack's name and the reform laid over them, if any."""
    used = [
        {
            "path": u.path,
            "value": u.value.en,
            "status": u.status.value,
            "reference": u.reference.en,
            "since": str(tree[u.path].value_at(explained.day).start) if u.path in tree else None,
        }
        for u in explained.parameters
    ]
    what = {"pack": pack.name, "reform": reform, "day": str(explained.day), "parameters": used}
    return json.dumps(what, ensure_ascii=False)


def overlaps(existing: pl.DataFrame, start: date, end: date | None) -> pl.DataFrame:
    """The rows of `existing` (start_date, end_date: null for open) whose dates meet [start, end]."""
    far = date(9999, 12, 31)
    return existing.filter(
        (pl.col("start_date") <= (end or far))
        & (pl.col("end_date").fill_null(far) >= start)
        & (pl.col("end_date").fill_null(far) >= pl.col("start_date"))  # an award ended before its start never was
    )


def refuse_overlap(existing: pl.DataFrame, benefit: Benefit, civil_number: str, start: date, end: date | None) -> None:
    same = overlaps(existing.filter(pl.col("benefit") == benefit.value), start, end)
    if same.height:
        row = same.row(0, named=True)
        raise AwardConflictError(
            f"civil number {civil_number!r} already has a {BENEFIT_NAMES[benefit].en} award {row['id']} "
            f"({row['state']}, from {row['start_date']} to {row['end_date'] or 'open'}) overlapping "
            f"{start} to {end or 'open'}: end it first; nothing was awarded"
        )


def death_end(died: date, start: date, end: date | None) -> date:
    """The last day an award is paid when its beneficiary died on `died`: the last day of the month
    of death (paid for that month), its own end if sooner, or the day before its start (never paid).

    >>> death_end(date(2026, 8, 10), date(2026, 4, 1), None), death_end(date(2026, 8, 10), date(2026, 10, 1), None)
    (datetime.date(2026, 8, 31), datetime.date(2026, 9, 30))
    """
    month_end = Period.containing(died).end
    return max(min(month_end, end or month_end), start - timedelta(days=1))
