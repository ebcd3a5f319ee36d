"""Runs the project's policy cases (`tests/policy/cases/*.yaml`) through the OpenFisca encoding.

    bench/out/ofvenv/bin/python bench/openfisca/check_cases.py

The cases pin the edge cases of every rule (birthdays on the first and last day of a month, the taper's
rounding, the women's income rules, ...) that a random table may never reach. Each case is run as
`run.py` runs a table: the people as text columns, the same reading, simulation and output. A case's
`reform` ({parameter: {date: value}}) becomes an OpenFisca reform of the parameters. Prints each failure
and a closing line `N passed, N failed`; exits non-zero on a failure.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from openfisca_core.periods import instant
from openfisca_core.reforms import Reform
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_oman import OmanTaxBenefitSystem
from run import build_simulation, compute, entitlements, prepare

CASES = Path(__file__).resolve().parents[2] / "tests" / "policy" / "cases"


def text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def reformed(system: TaxBenefitSystem, changes: dict[str, dict[Any, Any]]) -> TaxBenefitSystem:
    class CaseReform(Reform):
        def apply(self) -> None:
            def modify(parameters: Any) -> Any:
                for key, values in changes.items():
                    node = parameters
                    for part in key.split("."):
                        node = node.children[part]
                    for start, value in values.items():
                        number = float(value) if isinstance(value, str) else value
                        node.update(start=instant(text(start)), value=number)
                return parameters

            self.modify_parameters(modifier_function=modify)

    return CaseReform(system)


def run_case(system: TaxBenefitSystem, case: dict[str, Any], defaults: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = [{key: text(value) for key, value in {**defaults, **person}.items()} for person in case["people"]]
    columns = sorted({key for row in rows for key in row})
    frame = pl.DataFrame(
        [[row.get(c) for c in columns] for row in rows], schema=dict.fromkeys(columns, pl.String), orient="row"
    )
    if "reform" in case:
        system = reformed(system, case["reform"])
    identity, inputs = prepare(frame, system)
    month = str(case["period"])
    simulation = build_simulation(system, identity, inputs, month)
    table = entitlements(compute(simulation, month), identity, month)
    return sorted((r["person_id"], r["programme"], r["amount"]) for r in table.to_dicts())


def main() -> None:
    system = OmanTaxBenefitSystem()
    passed = failed = 0
    for path in sorted(CASES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            programmes = case.get("programmes", document.get("programmes"))
            got = run_case(system, case, document.get("defaults", {}))
            if programmes is not None:
                got = [row for row in got if row[1] in programmes]
            want = sorted((str(e["person_id"]), e["programme"], str(e["amount"])) for e in case["expected"] or [])
            if got == want:
                passed += 1
            else:
                failed += 1
                print(f"FAILED {path.name}: {case['name']} ({case['period']})\n  expected {want}\n  computed {got}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
