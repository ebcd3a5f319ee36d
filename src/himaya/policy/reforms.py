"""Reforms: a YAML file that overrides parameter values from a date, laid over a loaded tree.

    name: Child benefit at 15 OMR
    description: Raise the child benefit from January 2027.
    changes:
      child.amount:
        2027-01-01: "15.000"

From a parameter's first reform date on, the reform's values replace the pack's, later ones
included: what the reform says holds for the whole period it covers. A reform may only change
parameters that exist, with values of the parameter's own unit; anything
else is refused with a message naming the parameter and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from himaya.policy.parameters import Parameter, ParameterError, ParameterTree


@dataclass(frozen=True)
class Reform:
    name: str
    description: str
    changed: tuple[Parameter, ...]

    def apply(self, tree: ParameterTree) -> ParameterTree:
        return tree.replaced(self.changed)


def parse_reform(document: object, tree: ParameterTree, *, source: str) -> Reform:
    def fail(message: str) -> ParameterError:
        return ParameterError(f"reform {source}: {message}")

    if not isinstance(document, dict):
        raise fail("a reform must be a mapping with 'name' and 'changes'")
    unknown_keys = sorted(set(document) - {"name", "description", "changes"})
    if unknown_keys:
        raise fail(f"unknown key(s) {', '.join(map(str, unknown_keys))}")
    changes = document.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise fail("'changes' must map parameter paths to {date: value}")
    name = str(document.get("name") or source)
    changed: list[Parameter] = []
    for path, dated in changes.items():
        if path not in tree:
            raise fail(f"unknown parameter {path!r}")
        parameter = tree[path]
        if not isinstance(dated, dict) or not dated:
            raise fail(f"{path}: give the values as {{YYYY-MM-DD: value}}")
        if not all(isinstance(start, date) for start in dated):
            start = next(s for s in dated if not isinstance(s, date))
            raise fail(f"{path}: effective date {start!r} is not a date (YYYY-MM-DD)")
        # From its first date on, the reform's schedule is the parameter's: a later value of the pack
        # does not come back over it (a reform "90 from 2025" holds in 2026 too).
        parameter = parameter.until(min(dated))
        for start, raw in dated.items():
            try:
                value = parameter.parse(raw)
            except ValueError as error:
                raise fail(f"{path} from {start}: {error} (unit {parameter.unit_name})") from None
            parameter = parameter.with_value(start, value, f"reform: {name}", reform=True)
        changed.append(parameter)
    return Reform(name=name, description=str(document.get("description") or ""), changed=tuple(changed))


def load_reform(file: Path, tree: ParameterTree) -> Reform:
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ParameterError(f"reform {file}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ParameterError(f"reform {file}: not valid YAML: {error}") from None
    return parse_reform(document, tree, source=str(file))
