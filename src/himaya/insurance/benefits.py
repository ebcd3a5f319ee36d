"""The insurance's benefits, as reads: an insured person's old-age, disability or death pension on a
day, explained; the same for every insured person at once, as a table; a death pension shared
among the survivors. Nothing is written: a pension computed here is what the rules give from the
career declared so far (awarding and paying it are later slices of issue 16)."""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.insurance import job_security as security
from himaya.insurance import maternity as births
from himaya.insurance.model import Branch
from himaya.insurance.pension import Kind, pensionable, pensions
from himaya.insurance.pension_explain import PensionExplanation, explain
from himaya.insurance.pension_terms import month_table, pension_terms, sharing_table
from himaya.insurance.ports import InsuranceUnitOfWork
from himaya.insurance.survivors import shares, table_key
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree


def check_day(pack: PolicyPack, day: date, what: str) -> None:
    if day < pack.first_period.start:
        raise InvalidInputError(
            f"{what} {day} is before {pack.first_period.start}, the first day of the law in force: "
            "a pension under RD 52/2023 is computed from then on"
        )


def _compute(
    pack: PolicyPack, tree: ParameterTree, people: pl.DataFrame, lines: pl.DataFrame, kind: Kind, day: date
) -> pl.DataFrame:
    months = month_table(tree, lines["month"].unique().sort().to_list(), day)
    marked = lines.join(people.select("civil_number", "nationality"), on="civil_number").with_columns(
        (pl.col("nationality") == pack.country).alias("omani")
    )
    return pensions(people, pensionable(marked.drop("nationality"), months), pension_terms(tree, day), kind, day)


def person_career(uow: InsuranceUnitOfWork, civil_number: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The person's registry row and declared lines (`pension_people`, `pension_lines`), in the unit
    of work the caller has entered; an unknown person, a merged duplicate or no month refused."""
    people = uow.insurance.pension_people(civil_number)
    if not people.height:
        raise NotFoundError(f"no person with civil number {civil_number!r} in the registry")
    merged = people["merged_into"][0]
    if merged is not None:
        raise InvalidInputError(
            f"civil number {civil_number!r} is a duplicate record merged into {merged}: ask for that one"
        )
    lines = uow.insurance.pension_lines(civil_number)
    if not lines.height:
        raise NotFoundError(f"no declared month for civil number {civil_number!r}: no career to compute a pension from")
    return people, lines


def pension(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    civil_number: str,
    day: date,
    *,
    kind: Kind = Kind.OLD_AGE,
    tree: ParameterTree | None = None,
) -> PensionExplanation:
    """The person's old-age pension on `day` (or disability pension for a disability on `day`), explained.
    The death pension is `death_pension`."""
    if kind is Kind.DEATH:
        raise InvalidInputError("a death pension is computed on the day of death: use death_pension")
    check_day(pack, day, "the day")
    with uow:
        people, lines = person_career(uow, civil_number)
    return pension_of(pack, tree or pack.parameters, people, lines, kind, day)


def pension_of(
    pack: PolicyPack, tree: ParameterTree, people: pl.DataFrame, lines: pl.DataFrame, kind: Kind, day: date
) -> PensionExplanation:
    """One person's old-age or disability pension from their registry row and lines, explained."""
    row = _compute(pack, tree, people, lines, kind, day).row(0, named=True)
    return explain(row, kind, day, tree, pack.currency)


def death_pension(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    civil_number: str,
    survivors: dict[str, int],
    *,
    tree: ParameterTree | None = None,
) -> tuple[PensionExplanation, pl.DataFrame]:
    """The death pension of a person the registry records as dead, on the day of death, and its
    survivors' shares (group, member, share, amount) by the sharing table in force that day."""
    table_key(survivors)  # at least one survivor, each group within its limits
    with uow:
        people, lines = person_career(uow, civil_number)
    died = people["death_date"][0]
    if died is None:
        raise InvalidInputError(
            f"civil number {civil_number!r} is not recorded as dead: "
            "a death pension is computed on the registry's date of death"
        )
    check_day(pack, died, "the death on")
    tree = tree or pack.parameters
    table = sharing_table(tree, died)
    row = _compute(pack, tree, people, lines, Kind.DEATH, died).row(0, named=True)
    explained = explain(row, Kind.DEATH, died, tree, pack.currency)
    return explained, shares(explained.pension, survivors, table)


def all_pensions(
    uow: InsuranceUnitOfWork, pack: PolicyPack, day: date, *, tree: ParameterTree | None = None
) -> pl.DataFrame:
    """Every insured person's old-age pension on `day`, one row each with every step (`pensions`'
    columns), by civil number; the merged duplicates left out (their months are their own record's)."""
    check_day(pack, day, "the day")
    with uow:
        people = uow.insurance.pension_people(None)
        lines = uow.insurance.pension_lines(None)
    people = people.filter(pl.col("merged_into").is_null())
    if not people.height:
        raise NotFoundError("no insured person has a declared month yet: no pension to compute")
    return _compute(pack, tree or pack.parameters, people, lines, Kind.OLD_AGE, day).sort("civil_number")


def job_security(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    civil_number: str,
    lost_on: date,
    *,
    claim: int = 1,
    tree: ParameterTree | None = None,
) -> PensionExplanation:
    """The job security benefit of the person who lost a job on `lost_on`, as the `claim`-th claim
    (1 for a first), explained: the qualifying months, the average wage, the monthly amount."""
    check_claim(pack, lost_on, claim)
    with uow:
        people, lines = person_career(uow, civil_number)
    return job_security_of(pack, tree or pack.parameters, people, lines, lost_on, claim)


def job_security_of(
    pack: PolicyPack, tree: ParameterTree, people: pl.DataFrame, lines: pl.DataFrame, lost_on: date, claim: int
) -> PensionExplanation:
    """One job security claim from the person's registry row and lines, explained."""
    return security.explain(security_row(pack, tree, people, lines, lost_on, claim), tree, pack.currency)


def check_claim(pack: PolicyPack, lost_on: date, claim: int) -> None:
    """A job security claim's number and day, checked before anything is read."""
    if claim < 1:
        raise InvalidInputError(f"claim: {claim} is not a claim's number (1 for a first claim, 2 for a second, ...)")
    check_day(pack, lost_on, "the loss of the job on")


def security_row(
    pack: PolicyPack, tree: ParameterTree, people: pl.DataFrame, lines: pl.DataFrame, lost_on: date, claim: int
) -> dict[str, object]:
    """One claim's row of `job_security.benefits` from the person's declared lines."""
    months = month_table(
        tree, lines["month"].unique().sort().to_list(), lost_on, branch=Branch.JOB_SECURITY, revalued=False
    )
    marked = lines.join(people.select("civil_number", "nationality"), on="civil_number").with_columns(
        (pl.col("nationality") == pack.country).alias("omani")
    )
    claims = pl.DataFrame(
        {"civil_number": people["civil_number"], "lost_on": [lost_on], "claim": [claim]}
    ).with_columns(people["death_date"].cast(pl.Date).alias("death_date"))
    terms = security.job_security_terms(tree, lost_on)
    return security.benefits(claims, pensionable(marked.drop("nationality"), months), terms).row(0, named=True)


def maternity(
    uow: InsuranceUnitOfWork, pack: PolicyPack, civil_number: str, born_on: date, *, tree: ParameterTree | None = None
) -> PensionExplanation:
    """The maternity allowance of an insured woman who gave birth on `born_on`, explained: the
    qualifying months, the average wage, the allowance of a day and of the whole leave."""
    check_day(pack, born_on, "the birth on")
    with uow:
        people, lines = person_career(uow, civil_number)
    return maternity_of(pack, tree or pack.parameters, people, lines, born_on)


def maternity_of(
    pack: PolicyPack, tree: ParameterTree, people: pl.DataFrame, lines: pl.DataFrame, born_on: date
) -> PensionExplanation:
    """One birth's maternity allowance from the mother's registry row and lines; a man refused."""
    if people["sex"][0] != "F":
        raise InvalidInputError(
            f"civil number {people['civil_number'][0]!r} is not recorded as a woman: "
            "the maternity allowance is paid to an insured woman who gave birth"
        )
    months = births.maternity_months(tree, lines["month"].unique().sort().to_list(), born_on)
    marked = lines.join(people.select("civil_number", "nationality"), on="civil_number").with_columns(
        (pl.col("nationality") == pack.country).alias("omani")
    )
    terms = births.maternity_terms(tree, born_on)
    claims = pl.DataFrame({"civil_number": people["civil_number"], "born_on": [born_on]})
    row = births.allowances(claims, pensionable(marked.drop("nationality"), months), terms).row(0, named=True)
    return births.explain(row, terms, tree, pack.currency)
