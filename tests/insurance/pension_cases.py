"""Collects the pension policy cases: YAML files under `tests/insurance/cases/` that a policy officer
can read and review, run through the same rules as `himaya insurance pension`.

A case has a `name`, the `day` of the pension, a `person` (sex, birth_date, death_date, nationality: OM by
default), a `career` of spans ({from: YYYY-MM, to: YYYY-MM, wage, days: the whole month by default}),
an optional `kind` (old_age, disability, death, job_security with its `claim`: 1 by default; the
`day` is then the day the job was lost; maternity, the `day` the day of the birth), an optional
`reform` ({parameter: {date: value}})
and what is `expected`: any of status, months, average, pension, months_early, minimum_applied (for
job security: qualifying, averaged, average, monthly, months_paid, total; for maternity:
qualifying, averaged, average, daily, days, allowance); and
for a death pension with `survivors` ({widows, children, parents}), `shares`: each group's amounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from himaya.core.money import format_omr, parse_omr
from himaya.core.periods import Period
from himaya.insurance.job_security import benefits, job_security_terms
from himaya.insurance.maternity import allowances, maternity_months, maternity_terms
from himaya.insurance.model import Branch
from himaya.insurance.pension import Kind, pensionable, pensions
from himaya.insurance.pension_terms import month_table, pension_terms, sharing_table
from himaya.insurance.survivors import shares
from himaya.policy.packs import load_pack
from himaya.policy.parameters import ParameterTree
from himaya.policy.reforms import parse_reform

MONEY = ("average", "pension")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return PensionCaseFile.from_parent(parent, path=file_path)
    return None


class PensionCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            yield PensionCase.from_parent(self, name=case["name"], case=case)


def career_lines(spans: list[dict[str, Any]], nationality: str) -> pl.DataFrame:
    rows = []
    for span in spans:
        month, last = Period.parse(str(span["from"])), Period.parse(str(span["to"]))
        while month <= last:
            days = span.get("days", month.end.day)
            rows.append(("x", month.start, parse_omr(str(span["wage"])), days, nationality == "OM"))
            month = month.shifted(1)
    schema = {"civil_number": pl.String, "month": pl.Date, "wage": pl.Int64, "days": pl.Int64, "omani": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row")


def compute(case: dict[str, Any]) -> dict[str, Any]:
    tree = load_pack().parameters
    if "reform" in case:
        tree = parse_reform({"name": case["name"], "changes": case["reform"]}, tree, source=case["name"]).apply(tree)
    on: date = case["day"]
    person = case["person"]
    people = pl.DataFrame(
        {"civil_number": ["x"], "sex": [person["sex"]], "birth_date": [person["birth_date"]],
         "death_date": [person.get("death_date")]},
        schema={"civil_number": pl.String, "sex": pl.String, "birth_date": pl.Date, "death_date": pl.Date},
    )  # fmt: skip
    lines = career_lines(case.get("career", []), person.get("nationality", "OM"))
    if case.get("kind") == "job_security":
        return job_security(tree, lines, on, case.get("claim", 1))
    if case.get("kind") == "maternity":
        return maternity(tree, lines, on)
    months = month_table(tree, lines["month"].unique().to_list(), on)
    row = pensions(people, pensionable(lines, months), pension_terms(tree, on), Kind(case.get("kind", "old_age")), on)
    got = {k: (format_omr(v) if k in MONEY else v) for k, v in row.row(0, named=True).items()}
    if "survivors" in case:
        split = shares(row["pension"][0], case["survivors"], sharing_table(tree, on))
        got["shares"] = {
            g: [format_omr(a) for a in split.filter(pl.col("group") == g)["amount"]] for g in split["group"].unique()
        }
    return got


def job_security(tree: ParameterTree, lines: pl.DataFrame, lost_on: date, claim: int) -> dict[str, Any]:
    months = month_table(tree, lines["month"].unique().to_list(), lost_on, branch=Branch.JOB_SECURITY, revalued=False)
    claims = pl.DataFrame({"civil_number": ["x"], "lost_on": [lost_on], "claim": [claim]})
    row = benefits(claims, pensionable(lines, months), job_security_terms(tree, lost_on)).row(0, named=True)
    return {k: (format_omr(v) if k in (*MONEY, "monthly", "total") else v) for k, v in row.items()}


def maternity(tree: ParameterTree, lines: pl.DataFrame, born_on: date) -> dict[str, Any]:
    months = maternity_months(tree, lines["month"].unique().to_list(), born_on)
    births = pl.DataFrame({"civil_number": ["x"], "born_on": [born_on]})
    row = allowances(births, pensionable(lines, months), maternity_terms(tree, born_on)).row(0, named=True)
    return {k: (format_omr(v) if k in (*MONEY, "daily", "allowance") else v) for k, v in row.items()}


class PensionCase(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        got = compute(self.case)
        want = self.case["expected"]
        differ = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
        assert not differ, f"policy case {self.name!r}: expected, computed: {differ}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"pension case: {self.name}"
