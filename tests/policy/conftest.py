"""Collects the policy cases: YAML files under `cases/` that a policy officer can read and review.

Each file has an optional `pack` (default: oman; the Iraq pack's cases are in `cases/iraq/`),
optional `defaults` (merged into every person), optional `programmes` (only those are compared) and
`cases`, each with a `name`, a `period`, `people` and the `expected` entitlements: every (person,
programme, amount) with a positive amount, no more and no fewer. A case may carry
a `reform` ({parameter: {date: value}}) to test the rules under changed parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.packs import load_pack
from himaya.policy.reforms import parse_reform
from himaya.policy.table import validate_table
from tests.conftest import people_frame


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and "cases" in (file_path.parent.name, file_path.parent.parent.name):
        return PolicyCaseFile.from_parent(parent, path=file_path)
    return None


class PolicyCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        defaults = document.get("defaults", {})
        programmes = document.get("programmes")
        pack = document.get("pack", "oman")
        for case in document["cases"]:
            yield PolicyCase.from_parent(
                self, name=case["name"], case=case, defaults=defaults, programmes=programmes, pack=pack
            )


class PolicyCaseMismatchError(Exception):
    pass


class PolicyCase(pytest.Item):
    def __init__(
        self,
        *,
        case: dict[str, Any],
        defaults: dict[str, Any],
        programmes: list[str] | None,
        pack: str = "oman",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.case = case
        self.pack = pack
        self.defaults = defaults
        self.programmes = case.get("programmes", programmes)

    def runtest(self) -> None:
        pack = load_pack(self.pack)
        tree = pack.parameters
        if "reform" in self.case:
            tree = parse_reform({"name": self.name, "changes": self.case["reform"]}, tree, source=self.name).apply(tree)
        raw = people_frame({**self.defaults, **person} for person in self.case["people"])
        people = validate_table(raw, pack.schema, source=self.name)
        result = entitlements(people, pack, tree, Period.parse(str(self.case["period"])))
        if self.programmes is not None:
            result = result.filter(pl.col("programme").is_in(self.programmes))
        got = sorted((r["person_id"], r["programme"], r["amount"]) for r in result.to_dicts())
        want = sorted((str(e["person_id"]), e["programme"], str(e["amount"])) for e in self.case["expected"] or [])
        if got != want:
            raise PolicyCaseMismatchError(got, want)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PolicyCaseMismatchError):
            got, want = excinfo.value.args
            return (
                f"policy case {self.name!r} in {self.path.name} ({self.pack}), period {self.case['period']}\n"
                f"  expected: {want}\n  computed: {got}\n"
                f"  missing:  {sorted(set(want) - set(got))}\n  extra:    {sorted(set(got) - set(want))}"
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"policy case: {self.name}"
