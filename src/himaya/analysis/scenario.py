"""Projection scenarios: YAML files in which every assumption is named.

The packaged default (`data/scenario.yaml`) holds every assumption with its source; a scenario file
overrides any of them and keeps the rest. Anything unknown or out of range is refused with the file,
the key and the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from himaya.core.errors import HimayaError
from himaya.core.text import Text
from himaya.policy.parameters import ParameterError, ParameterTree
from himaya.policy.reforms import Reform, load_reform, parse_reform

DEFAULT = files("himaya.analysis") / "data" / "scenario.yaml"


class ScenarioError(HimayaError):
    """A scenario file that cannot be used as written."""


class Indexation(StrEnum):
    NONE = "none"  # the law's nominal amounts, as the rules write them for each date (the default)
    PRICES = "prices"  # raised with consumer prices each year
    WAGES = "wages"  # raised with wages (prices and real wage growth)


@dataclass(frozen=True)
class YearlyRate:
    """A rate that holds from a year until the next year given: `{2025: 0.02, 2030: 0.025}`."""

    steps: tuple[tuple[int, float], ...]

    def at(self, year: int) -> float:
        value = self.steps[0][1]
        for start, rate in self.steps:
            if start <= year:
                value = rate
        return value


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str  # the file, or "default"
    reform: Reform | None
    citizens: int
    citizen_fertility: float
    sex_ratio_at_birth: float
    gdp_year: int
    gdp: int  # nominal GDP of gdp_year, whole units of the pack's currency (the file's `gdp_omr`, `gdp_iqd`...)
    real_growth: YearlyRate
    inflation: YearlyRate
    real_wage_growth: YearlyRate
    indexation: Indexation
    take_up: Mapping[str, float]
    sample_persons: int
    sample_seed: int
    assumptions: Mapping[str, Any]  # every assumption as used, for the report and the JSON

    def tree(self, base: ParameterTree) -> ParameterTree:
        return self.reform.apply(base) if self.reform is not None else base


def _merged(default: Mapping[str, Any], given: Mapping[str, Any], fail: Any, prefix: str = "") -> dict[str, Any]:
    """The default with the given values laid over it; a key the default does not know is refused."""
    merged = dict(default)
    for key, value in given.items():
        path = f"{prefix}{key}"
        if key not in default:
            raise fail(f"unknown key {path!r}; known: {', '.join(map(str, default))}")
        inner = default[key]
        # `changes` and `take_up` are open mappings of their own; every other mapping is merged key by key.
        if isinstance(inner, dict) and key not in ("changes",) and not (isinstance(value, dict) and _is_yearly(value)):
            if not isinstance(value, dict):
                raise fail(f"{path}: {value!r} must be a mapping with keys {', '.join(map(str, inner))}")
            merged[key] = _merged(inner, value, fail, f"{path}.")
        else:
            merged[key] = value
    return merged


def _is_yearly(value: Mapping[Any, Any]) -> bool:
    return bool(value) and all(isinstance(k, int) and not isinstance(k, bool) for k in value)


def _number(value: object, path: str, fail: Any, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail(f"{path}: {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise fail(f"{path}: {value!r} is not a number") from None
    if not low <= number <= high:
        raise fail(f"{path}: {value!r} is out of range: it must be between {low:g} and {high:g}")
    return number


def _whole(value: object, path: str, fail: Any, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(f"{path}: {value!r} must be a whole number between {low:,} and {high:,}")
    return value


def _yearly(value: object, path: str, fail: Any) -> YearlyRate:
    if isinstance(value, dict):
        if not _is_yearly(value):
            raise fail(f"{path}: {value!r} must be a number or {{year: rate}}, e.g. {{2025: 0.02, 2030: 0.025}}")
        steps = tuple(
            (year, _number(rate, f"{path}.{year}", fail, low=-0.5, high=0.5)) for year, rate in sorted(value.items())
        )
        return YearlyRate(steps)
    return YearlyRate(((0, _number(value, path, fail, low=-0.5, high=0.5)),))


def _reform(rules: Mapping[str, Any], tree: ParameterTree, name: str, source: Path | None, fail: Any) -> Reform | None:
    file, changes = rules.get("reform"), rules.get("changes") or {}
    if file is not None and changes:
        raise fail("rules: give either rules.reform (a file) or rules.changes, not both")
    try:
        if file is not None:
            if not isinstance(file, str):
                raise fail(f"rules.reform: {file!r} is not a file name")
            path = Path(file) if source is None else source.parent / file
            if not path.is_file():
                raise fail(f"rules.reform: no such file {path}")
            return load_reform(path, tree)
        if not changes:
            return None
        return parse_reform({"name": name, "changes": changes}, tree, source=f"{source or 'scenario'} rules.changes")
    except ParameterError as error:
        raise fail(str(error)) from None


def parse_scenario(
    document: object,
    tree: ParameterTree,
    programmes: tuple[str, ...],
    *,
    source: Path | None = None,
    default_file: Path | Traversable = DEFAULT,
    currency: str = "OMR",
) -> Scenario:
    """A scenario from a parsed YAML document laid over the default (`default_file`: the pack's);
    `programmes` are the pack's keys, `currency` the code of its money (the GDP's key: `gdp_omr`)."""
    label = str(source) if source is not None else "default"

    def fail(message: str) -> ScenarioError:
        return ScenarioError(f"scenario {label}: {message}")

    default = yaml.safe_load(default_file.read_text(encoding="utf-8"))
    gdp_key = f"gdp_{currency.lower()}"
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise fail("a scenario must be a mapping of named assumptions (see docs/analysis.md)")
    merged = _merged(default, document, fail)
    if document and "description" not in document:
        # The default's name and description describe the default ("Today's rules": the law's
        # nominal amounts, not indexed): a scenario that changes any assumption is described by its
        # own words or not at all, and named by its own name or its file's.
        merged["description"] = ""
    if document and "name" not in document:
        merged["name"] = source.name if source is not None else "unnamed scenario"
    name = str(merged.get("name") or label)
    if set(merged["take_up"]) != set(programmes):
        unknown = sorted(set(merged["take_up"]) - set(programmes))
        raise fail(f"take_up: unknown programme(s) {', '.join(unknown)}; known: {', '.join(programmes)}")
    indexation = merged["indexation"]
    if indexation not in {i.value for i in Indexation}:
        raise fail(f"indexation: {indexation!r} must be one of {', '.join(i.value for i in Indexation)}")
    population, economy, sample = merged["population"], merged["economy"], merged["sample"]
    return Scenario(
        name=name,
        description=str(merged.get("description") or ""),
        source=label,
        reform=_reform(merged["rules"], tree, name, source, fail),
        citizens=_whole(population["citizens"], "population.citizens", fail, low=1, high=100_000_000),
        citizen_fertility=_number(population["citizen_fertility"], "population.citizen_fertility", fail, low=0, high=3),
        sex_ratio_at_birth=_number(
            population["sex_ratio_at_birth"], "population.sex_ratio_at_birth", fail, low=0.8, high=1.3
        ),
        gdp_year=_whole(economy["gdp_year"], "economy.gdp_year", fail, low=2000, high=2100),
        gdp=_whole(economy.get(gdp_key), f"economy.{gdp_key}", fail, low=1, high=10**18),
        real_growth=_yearly(economy["real_growth"], "economy.real_growth", fail),
        inflation=_yearly(economy["inflation"], "economy.inflation", fail),
        real_wage_growth=_yearly(economy["real_wage_growth"], "economy.real_wage_growth", fail),
        indexation=Indexation(indexation),
        take_up={key: _number(merged["take_up"][key], f"take_up.{key}", fail, low=0, high=1) for key in programmes},
        sample_persons=_whole(sample["persons"], "sample.persons", fail, low=1000, high=10_000_000),
        sample_seed=_whole(sample["seed"], "sample.seed", fail, low=0, high=2**32 - 1),
        assumptions=merged,
    )


def load_scenario(
    file: Path | None,
    tree: ParameterTree,
    programmes: tuple[str, ...],
    *,
    default_file: Path | Traversable = DEFAULT,
    currency: str = "OMR",
) -> Scenario:
    """The scenario in `file`, or the default one (the pack's `default_file`)."""
    if file is None:
        return parse_scenario({}, tree, programmes, default_file=default_file, currency=currency)
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"scenario {file}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"scenario {file}: not valid YAML: {error}") from None
    return parse_scenario(document, tree, programmes, source=file, default_file=default_file, currency=currency)


# What a comparison of scenarios is meant to vary; every other assumption should be shared.
COMPARED = ("name", "description", "rules")
YEARLY_RATES = ("economy.real_growth", "economy.inflation", "economy.real_wage_growth")


@dataclass(frozen=True)
class Difference:
    """An assumption other than the rules that compared scenarios set differently."""

    key: str  # dotted, as in the file: "indexation", "economy.real_growth", "take_up.child"
    values: tuple[str, ...]  # as each scenario has it, in the scenarios' order


def differences(scenarios: Sequence[Scenario]) -> list[Difference]:
    """The assumptions other than the rules in which the scenarios differ (issue 16: a wage-indexed
    baseline beside a price-indexed reform made the reform look cheaper). Values are compared by
    their meaning: a rate of 0.02 and {2025: 0.02} are the same assumption."""
    flat = [_flat(s.assumptions) for s in scenarios]
    keys = dict.fromkeys(key for f in flat for key in f)
    return [
        Difference(key, tuple(_shown(f.get(key)) for f in flat))
        for key in keys
        if len({_meaning(key, f.get(key)) for f in flat}) > 1
    ]


# The assumptions as a reader of a chart names them (a scenario file's keys are not words).
ASSUMPTION_NAMES = {
    "indexation": Text("indexation of the amounts", "ربط المبالغ بالأسعار أو الأجور"),
    "population.citizens": Text("number of citizens", "عدد المواطنين"),
    "population.citizen_fertility": Text("citizens' fertility", "خصوبة المواطنين"),
    "population.sex_ratio_at_birth": Text("sex ratio at birth", "نسبة المواليد الذكور إلى الإناث"),
    "economy.gdp_year": Text("year of the GDP figure", "سنة رقم الناتج المحلي الإجمالي"),
    "economy.gdp_omr": Text("GDP", "الناتج المحلي الإجمالي"),
    "economy.gdp_iqd": Text("GDP", "الناتج المحلي الإجمالي"),
    "economy.real_growth": Text("real growth", "النمو الحقيقي"),
    "economy.inflation": Text("inflation", "التضخم"),
    "economy.real_wage_growth": Text("real wage growth", "النمو الحقيقي للأجور"),
    "take_up": Text("take-up of the benefits", "نسبة الإقبال على المنافع"),
    "sample": Text("sample", "العينة"),
}


def assumption_name(key: str) -> Text:
    """The words for an assumption's key (`take_up.child` is the take-up of the benefits)."""
    return ASSUMPTION_NAMES.get(key) or ASSUMPTION_NAMES.get(key.partition(".")[0]) or Text(key, "افتراضات أخرى")


def comparison_note(found: Sequence[Difference], *, most: int = 4) -> Text:
    """One sentence, in English and Arabic, for a chart that puts such scenarios side by side."""
    names = list(dict.fromkeys(assumption_name(d.key) for d in found))
    more = len(names) > most
    en = ", ".join(n.en for n in names[:most]) + (", ..." if more else "")
    ar = "، ".join(n.ar for n in names[:most]) + ("، ..." if more else "")
    return Text(
        f"Note: the scenarios differ in more than the rules ({en}): the gap between them is not the reform's alone.",
        f"ملاحظة: تختلف السيناريوهات في أكثر من القواعد ({ar})، فليس الفرق بينها كله أثر الإصلاح.",
    )


def _flat(assumptions: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in assumptions.items():
        path = f"{prefix}{key}"
        if not prefix and key in COMPARED:
            continue
        if isinstance(value, dict) and not _is_yearly(value):
            flat.update(_flat(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _meaning(key: str, value: object) -> object:
    if key in YEARLY_RATES and value is not None:
        rate = _yearly(value, key, ScenarioError)  # already checked when the scenario was read
        return tuple(rate.at(year) for year in range(2000, 2101))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return repr(value)


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return "(none)" if value is None else str(value)
