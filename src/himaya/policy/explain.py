"""Explanations: for one person or family, why each programme pays what it pays.

The explanation evaluates the very expressions the engine runs on the whole country, on the rows
of one family, so an explanation can never disagree with the payroll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from himaya.core.errors import UsageError
from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.core.text import Language, Text, right_to_left
from himaya.policy.engine import StepResult, plan, planned, withheld_column
from himaya.policy.pack import Adjustment, Figure, Formula, Op, Operand, PolicyPack, Programme, Rule, Shown, Unit
from himaya.policy.parameters import ParameterTree, Status

WORDS = {
    "family": Text("Family", "الأسرة"),
    "person": Text("Person", "الفرد"),
    "period": Text("Period", "الشهر"),
    "conditions": Text("Conditions", "الشروط"),
    "figures": Text("Figures", "الأرقام"),
    "members": Text("Members", "الأفراد"),
    "parameters": Text("Parameters", "المعاملات"),
    "amount": Text("Amount", "المبلغ"),
    "not_entitled": Text("not entitled", "غير مستحقة"),  # a benefit (منفعة) is feminine
    "not_entitled_masculine": Text("not entitled", "غير مستحق"),  # a salary (راتب) is not
    "withheld": Text("withheld", "محجوبة"),
    "yes": Text("yes", "نعم"),
    "no": Text("no", "لا"),
    "total": Text("Total for the family", "مجموع الأسرة"),
    "reference": Text("reference", "المرجع"),
    "list": Text("; ", "؛ "),
}


@dataclass(frozen=True)
class ParameterUse:
    path: str
    description: Text
    value: str  # as written in English (the API's field)
    status: Status
    reference: str  # in English (the API's field)
    shown: Text  # the value in English and Arabic
    reference_ar: str
    raw: Any = None  # the value in force (the currency's smallest unit for money)


@dataclass(frozen=True)
class Value:
    label: Text
    value: Any
    shown: Shown
    key: str = ""  # the figure's key in its rule


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
    amount: int  # the currency's smallest unit
    conditions: tuple[Condition, ...]
    figures: tuple[Value, ...]
    members: tuple[MemberRow, ...]
    withheld: tuple[Text, ...]
    parameters: tuple[ParameterUse, ...]
    formulas: tuple[Formula, ...] = ()  # the rule's arithmetic, for a citizen's statement
    masculine: bool = False  # the Arabic name's gender (a benefit, منفعة, is feminine; a salary, راتب, is not)


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
    names: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)  # the pack's code names
    currency: Currency | None = None  # the pack's: what the amounts are in

    @property
    def total(self) -> int:
        return sum(p.total for p in self.persons)


Uses = Callable[[tuple[str, ...]], tuple[ParameterUse, ...]]


def _uses_on(pack: PolicyPack, tree: ParameterTree, day: date) -> Uses:
    """The parameters that a list of paths names, as used on `day`, each list worked out once: every
    member of every family explained together names the same parameters, and formatting them was a
    third of an explanation's Python time."""
    known: dict[tuple[str, ...], tuple[ParameterUse, ...]] = {}

    def uses(paths: tuple[str, ...]) -> tuple[ParameterUse, ...]:
        if paths not in known:
            known[paths] = _worked_out(pack, tree, paths, day)
        return known[paths]

    return uses


def _worked_out(pack: PolicyPack, tree: ParameterTree, paths: tuple[str, ...], day: date) -> tuple[ParameterUse, ...]:
    uses = []
    names = pack.parameter_code_names
    for path in paths:
        parameter = tree[path]
        value = parameter.value_at(day).value
        uses.append(
            ParameterUse(
                path=path,
                description=parameter.description,
                value=parameter.shown(value),
                status=parameter.status_at(day),
                reference=parameter.reference_at(day),
                shown=Text(parameter.shown(value), parameter.shown(value, "ar", names)),
                reference_ar=parameter.reference_in(day, "ar"),
                raw=value,
            )
        )
    return tuple(uses)


def _figures(row: dict[str, Any], prefix: str, figures: tuple[Figure, ...]) -> tuple[Value, ...]:
    return tuple(Value(f.label, row[f"{prefix}.{f.key}"], f.shown, f.key) for f in figures)


def _programme(
    pack: PolicyPack,
    uses: Uses,
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
        parameters=uses(tuple(used)),
        formulas=rule.formulas,
        masculine=step.masculine,
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
    return explain_months([(people, period)], pack, tree, only_person=only_person)[0]


def explain_months(
    asked: Sequence[tuple[pl.DataFrame, Period]],
    pack: PolicyPack,
    tree: ParameterTree,
    *,
    only_person: str | None = None,
) -> list[dict[str, Explanation]]:
    """`explain_families` of each (people, period) asked, the months' evaluations run in one call
    to Polars (`pl.collect_all`): a page explaining this month and the next pays the engine's fixed
    cost of a call once. Each month's answer is exactly what it is alone."""
    queries = [
        planned(people.with_columns(pack.recipient.alias("__recipient")), pack, tree, period, detail=True)
        for people, period in asked
    ]
    one = len(queries) == 1
    frames = [queries[0].collect(engine="in-memory")] if one else pl.collect_all(queries, engine="in-memory")
    return [
        _explained(frame.to_dicts(), pack, tree, period, only_person)
        for frame, (_, period) in zip(frames, asked, strict=True)
    ]


def _explained(
    detailed: list[dict[str, Any]], pack: PolicyPack, tree: ParameterTree, period: Period, only_person: str | None
) -> dict[str, Explanation]:
    steps = plan(pack, tree, period)
    adjustments = [s for s in steps if isinstance(s.step, Adjustment)]
    uses = _uses_on(pack, tree, period.start)
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
                _programme(pack, uses, s, adjustments, row, members)
                for s in steps
                if isinstance(s.step, Programme) and (s.step.unit is Unit.PERSON or recipient)
            )
            persons.append(
                PersonExplanation(str(row[pack.person_column]), str(row.get("relationship", "")), programmes)
            )
        explained[family_id] = Explanation(period, family_id, tuple(persons), pack.code_names, pack.currency)
    return explained


def show(
    value: Any,
    shown: Shown,
    language: Language,
    names: Mapping[str, Text] | None = None,
    currency: Currency | None = None,
) -> str:
    """A figure's value as a person reads it (a code by its name in `names`, where it has one;
    money in `currency`, the pack's)."""
    if value is None:
        return "—"
    if shown is Shown.MONEY:
        assert currency is not None, "money is shown in the pack's currency"
        return currency.shown(int(value), language)
    if shown is Shown.YES_NO:
        return WORDS["yes" if value else "no"].in_(language)
    if isinstance(value, date):
        return value.isoformat()
    if shown is Shown.TEXT and names and str(value) in names:
        return names[str(value)].in_(language)
    return str(value)


def render(explanation: Explanation, language: Language = "en") -> str:
    """The explanation as plain text, in English or Arabic.

    The Arabic text is Arabic throughout (names of codes, statuses, references, the currency); its
    numbers, dates and ids are bidi-isolated and each line starts with a right-to-left mark, so a
    terminal or editor with bidi support shows it in order (docs/cli.md)."""
    w = {key: text.in_(language) for key, text in WORDS.items()}
    relationships = explanation.names.get("relationship", {})
    codes = {
        code: name for kind, named in explanation.names.items() if kind != "programme" for code, name in named.items()
    }
    currency = explanation.currency
    assert currency is not None, "an explanation states amounts in the pack's currency"

    def relation(code: str) -> str:
        return relationships[code].in_(language) if code in relationships else code

    mark = "✓" if language == "ar" else "x"  # a Latin x would be a left-to-right letter in an Arabic line
    lines = [f"{w['family']} {explanation.family_id} — {w['period']} {explanation.period}"]
    for person in explanation.persons:
        lines += ["", f"{w['person']} {person.person_id} ({relation(person.relationship)})"]
        for programme in person.programmes:
            refused = w["not_entitled_masculine" if programme.masculine else "not_entitled"]
            verdict = currency.shown(programme.amount, language) if programme.amount > 0 else refused
            lines.append(f"  {programme.name.in_(language)}: {verdict}")
            entitled = programme.amount > 0
            for condition in programme.conditions:
                if entitled or not condition.holds:  # for a refusal, the conditions that failed
                    lines.append(f"    [{mark if condition.holds else ' '}] {condition.label.in_(language)}")
            if not entitled and not programme.withheld and all(c.holds for c in programme.conditions):
                lines.append(f"    {nothing_left(programme, currency).in_(language)}")  # why nothing is left
            for reason in programme.withheld:
                lines.append(f"    {w['withheld']}: {reason.in_(language)}")
            for figure in programme.figures:
                lines.append(
                    f"    {figure.label.in_(language)}: {show(figure.value, figure.shown, language, codes, currency)}"
                )
            if programme.members:
                lines.append(f"    {w['members']}:")
                for member in programme.members:
                    values = w["list"].join(  # the income's components are the citizen's statement's
                        f"{v.label.in_(language)}: {show(v.value, v.shown, language, currency=currency)}"
                        for v in member.values
                        if "." not in v.key
                    )
                    lines.append(f"      {member.person_id} ({relation(member.relationship)}) {values}")
            for use in programme.parameters if entitled or programme.withheld else ():
                lines += _parameter_lines(use, language)
    lines += ["", f"{w['total']}: {currency.shown(explanation.total, language)}"]
    text = "\n".join(lines)
    return right_to_left(text) if language == "ar" else text


def operand_value(operand: Operand, programme: ProgrammeExplanation) -> Any:
    """The value a formula's operand stands for: the amount, a figure or a parameter."""
    kind, _, key = operand.source.partition(":")
    if kind == "amount":
        return programme.amount
    if kind == "figure":
        return next((f.value for f in programme.figures if f.key == key), None)
    return next((u.raw for u in programme.parameters if u.path == key), None)


def nothing_left(programme: ProgrammeExplanation, currency: Currency) -> Text:
    """Why a programme whose conditions all hold pays nothing: what is subtracted is not below what it
    is subtracted from (the income counted and the target), read from the formula that gives zero."""
    for formula in programme.formulas:
        first = operand_value(formula.first, programme)
        taken = [(o, operand_value(o, programme)) for op, o in formula.rest if op is Op.MINUS]
        if operand_value(formula.result, programme) != 0 or first is None or not taken:
            continue
        if any(value is None for _, value in taken):
            continue
        total, shown = currency.format(sum(int(v) for _, v in taken)), currency.format(first)
        en, ar = " + ".join(o.label.en for o, _ in taken), " + ".join(o.label.ar for o, _ in taken)
        return Text(
            f"Not paid: {en} {total} is not below {formula.first.label.en} {shown}",
            f"لا تُصرف: {ar} {total} لا يقل عن {formula.first.label.ar} {shown}",
        )
    return Text("Not paid: the amount works out at zero", "لا تُصرف: المبلغ المستحق صفر")


def _parameter_lines(use: ParameterUse, language: Language) -> list[str]:
    if language != "ar":
        return [f"    {use.path} = {use.value} ({use.status}) — {use.description.en} [{use.reference}]"]
    # In Arabic the parameter is named by its description, not by its code.
    description = use.description.ar.rstrip(".")
    return [
        f"    {description}: {use.shown.ar} ({use.status.name_text.ar})",
        f"      {WORDS['reference'].ar}: {use.reference_ar or use.reference}",
    ]
