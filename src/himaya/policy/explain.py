"""Explanations: for one person or family, why each programme pays what it pays.

The explanation evaluates the very expressions the engine runs on the whole country, on the rows
of one family, so an explanation can never disagree with the payroll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from himaya.core.errors import UsageError
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.core.text import Language, Text
from himaya.policy.engine import StepResult, evaluate, plan, withheld_column
from himaya.policy.pack import Adjustment, Figure, PolicyPack, Programme, Rule, Shown, Unit
from himaya.policy.parameters import ParameterTree, Status, format_value

WORDS = {
    "family": Text("Family", "الأسرة"),
    "person": Text("Person", "الفرد"),
    "period": Text("Period", "الشهر"),
    "conditions": Text("Conditions", "الشروط"),
    "figures": Text("Figures", "الأرقام"),
    "members": Text("Members", "الأفراد"),
    "parameters": Text("Parameters", "المعاملات"),
    "amount": Text("Amount", "المبلغ"),
    "not_entitled": Text("not entitled", "غير مستحق"),
    "withheld": Text("withheld", "محجوبة"),
    "yes": Text("yes", "نعم"),
    "no": Text("no", "لا"),
    "total": Text("Total for the family", "مجموع الأسرة"),
}


@dataclass(frozen=True)
class ParameterUse:
    path: str
    description: Text
    value: str
    status: Status
    reference: str


@dataclass(frozen=True)
class Value:
    label: Text
    value: Any
    shown: Shown


@dataclass(frozen=True)
class Condition:
    label: Text
    holds: bool


@dataclass(frozen=True)
class MemberRow:
    person_id: str
    relationship: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class ProgrammeExplanation:
    key: str
    name: Text
    amount: int  # baisa
    conditions: tuple[Condition, ...]
    figures: tuple[Value, ...]
    members: tuple[MemberRow, ...]
    withheld: tuple[Text, ...]
    parameters: tuple[ParameterUse, ...]


@dataclass(frozen=True)
class PersonExplanation:
    person_id: str
    relationship: str
    programmes: tuple[ProgrammeExplanation, ...]

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.programmes)


@dataclass(frozen=True)
class Explanation:
    period: Period
    family_id: str
    persons: tuple[PersonExplanation, ...]

    @property
    def total(self) -> int:
        return sum(p.total for p in self.persons)


def _parameter_uses(tree: ParameterTree, paths: tuple[str, ...], day: date) -> tuple[ParameterUse, ...]:
    uses = []
    for path in paths:
        parameter = tree[path]
        uses.append(
            ParameterUse(
                path=path,
                description=parameter.description,
                value=format_value(parameter.unit, parameter.value_at(day).value),
                status=parameter.status,
                reference=parameter.reference_at(day),
            )
        )
    return tuple(uses)


def _figures(row: dict[str, Any], prefix: str, figures: tuple[Figure, ...]) -> tuple[Value, ...]:
    return tuple(Value(f.label, row[f"{prefix}.{f.key}"], f.shown) for f in figures)


def _programme(
    pack: PolicyPack,
    tree: ParameterTree,
    period: Period,
    result: StepResult,
    adjustments: list[StepResult],
    row: dict[str, Any],
    family: list[dict[str, Any]],
) -> ProgrammeExplanation:
    step, rule = result.step, result.rule
    assert isinstance(step, Programme) and isinstance(rule, Rule)
    key = step.key
    withheld: list[Text] = []
    used = list(result.parameters_used)
    for adjustment in adjustments:
        assert isinstance(adjustment.rule, tuple)
        for index, withholding in enumerate(adjustment.rule):
            column = withheld_column(adjustment.step.key, index)
            if withholding.programme == key and row.get(column):
                withheld.append(withholding.reason)
                used += [p for p in adjustment.parameters_used if p not in used]
    members: tuple[MemberRow, ...] = ()
    if rule.member_figures:
        members = tuple(
            MemberRow(
                str(m[pack.person_column]),
                str(m.get("relationship", "")),
                _figures(m, f"member.{key}", rule.member_figures),
            )
            for m in family
        )
    return ProgrammeExplanation(
        key=key,
        name=step.name,
        amount=int(row[f"amount.{key}"]),
        conditions=tuple(Condition(c.label, bool(row[f"check.{key}.{c.key}"])) for c in rule.checks),
        figures=_figures(row, f"figure.{key}", rule.figures),
        members=members,
        withheld=tuple(withheld),
        parameters=_parameter_uses(tree, tuple(used), period.start),
    )


def explain(
    people: pl.DataFrame,
    pack: PolicyPack,
    tree: ParameterTree,
    period: Period,
    *,
    person_id: str | None = None,
    family_id: str | None = None,
) -> Explanation:
    """Explain the entitlements of one person (`person_id`) or of every member of one family."""
    if (person_id is None) == (family_id is None):
        raise UsageError("explain one person or one family: give exactly one of person and family")
    if person_id is not None:
        match = people.filter(pl.col(pack.person_column) == person_id)
        if match.is_empty():
            raise UsageError(f"no person with {pack.person_column} {person_id!r} in the table")
        family_id = str(match[pack.family_column][0])
    rows = people.filter(pl.col(pack.family_column) == family_id)
    if rows.is_empty():
        raise UsageError(f"no family with {pack.family_column} {family_id!r} in the table")
    return explain_families(rows, pack, tree, period, only_person=person_id)[str(family_id)]


def explain_families(
    people: pl.DataFrame, pack: PolicyPack, tree: ParameterTree, period: Period, *, only_person: str | None = None
) -> dict[str, Explanation]:
    """Explain every family of `people` at once: one evaluation for all of them, which costs about
    what it costs for one (a service explaining many families at a time batches them this way)."""
    detailed = evaluate(
        people.with_columns(pack.recipient.alias("__recipient")), pack, tree, period, detail=True
    ).to_dicts()
    steps = plan(pack, tree, period)
    adjustments = [s for s in steps if isinstance(s.step, Adjustment)]
    families: dict[str, list[dict[str, Any]]] = {}
    for row in detailed:
        families.setdefault(str(row[pack.family_column]), []).append(row)
    explained = {}
    for family_id, members in families.items():
        persons = []
        for row in members:
            if only_person is not None and row[pack.person_column] != only_person:
                continue
            recipient = bool(row["__recipient"])
            programmes = tuple(
                _programme(pack, tree, period, s, adjustments, row, members)
                for s in steps
                if isinstance(s.step, Programme) and (s.step.unit is Unit.PERSON or recipient)
            )
            persons.append(
                PersonExplanation(str(row[pack.person_column]), str(row.get("relationship", "")), programmes)
            )
        explained[family_id] = Explanation(period, family_id, tuple(persons))
    return explained


def show(value: Any, shown: Shown, language: Language) -> str:
    """A figure's value as a person reads it."""
    if value is None:
        return "—"
    if shown is Shown.MONEY:
        return f"{format_omr(int(value))} OMR"
    if shown is Shown.YES_NO:
        return WORDS["yes" if value else "no"].in_(language)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render(explanation: Explanation, language: Language = "en") -> str:
    """The explanation as plain text, in English or Arabic."""
    w = {key: text.in_(language) for key, text in WORDS.items()}
    lines = [f"{w['family']} {explanation.family_id} — {w['period']} {explanation.period}"]
    for person in explanation.persons:
        lines += ["", f"{w['person']} {person.person_id} ({person.relationship})"]
        for programme in person.programmes:
            verdict = f"{format_omr(programme.amount)} OMR" if programme.amount > 0 else w["not_entitled"]
            lines.append(f"  {programme.name.in_(language)}: {verdict}")
            entitled = programme.amount > 0
            for condition in programme.conditions:
                if entitled or not condition.holds:  # for a refusal, the conditions that failed
                    lines.append(f"    [{'x' if condition.holds else ' '}] {condition.label.in_(language)}")
            for reason in programme.withheld:
                lines.append(f"    {w['withheld']}: {reason.in_(language)}")
            for figure in programme.figures:
                lines.append(f"    {figure.label.in_(language)}: {show(figure.value, figure.shown, language)}")
            if programme.members:
                lines.append(f"    {w['members']}:")
                for member in programme.members:
                    values = "; ".join(
                        f"{v.label.in_(language)}: {show(v.value, v.shown, language)}" for v in member.values
                    )
                    lines.append(f"      {member.person_id} ({member.relationship}) {values}")
            for use in programme.parameters if entitled or programme.withheld else ():
                lines.append(
                    f"    {use.path} = {use.value} ({use.status}) — {use.description.in_(language)} [{use.reference}]"
                )
    lines += ["", f"{w['total']}: {format_omr(explanation.total)} OMR"]
    return "\n".join(lines)
