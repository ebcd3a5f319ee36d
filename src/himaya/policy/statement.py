"""An explanation a citizen can follow: what the family receives for a month, member by member, with
the arithmetic written out and the law behind each amount, in Arabic or English.

It is built from an `Explanation` (so it can never disagree with the payroll) and is a typed
structure (sections of lines, amounts in baisa) that a web page, a letter or the command line
renders. The Arabic is Arabic throughout: no code, status or English word (the names of codes come
from the pack; a person without an Arabic name is named by civil number), and counted things agree
with their number (فرد واحد، فردان، ٣ أفراد، ١١ فرداً).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from himaya.core.money import Currency
from himaya.core.text import Language, Text, right_to_left
from himaya.policy.explain import Explanation, MemberRow, ProgrammeExplanation, nothing_left, operand_value
from himaya.policy.pack import Formula, Op, Shown

MONTHS = (
    ("January", "يناير"),
    ("February", "فبراير"),
    ("March", "مارس"),
    ("April", "أبريل"),
    ("May", "مايو"),
    ("June", "يونيو"),
    ("July", "يوليو"),
    ("August", "أغسطس"),
    ("September", "سبتمبر"),
    ("October", "أكتوبر"),
    ("November", "نوفمبر"),
    ("December", "ديسمبر"),
)


@dataclass(frozen=True)
class Line:
    """One line: its words in both languages and, where it states an amount, the amount (the
    currency's smallest unit: baisa, dinars).
    `kind`: condition, income, excluded, not_counted, arithmetic, withheld, reference, note."""

    kind: str
    text: Text
    amount: int | None = None


@dataclass(frozen=True)
class Section:
    """A heading (a member and a benefit, or the family's support) and its lines."""

    title: Text
    lines: tuple[Line, ...]
    amount: int | None = None
    person_id: str | None = None
    programme: str | None = None


@dataclass(frozen=True)
class Statement:
    family_id: str
    period: str  # YYYY-MM
    title: Text
    total: int  # the currency's smallest unit
    sections: tuple[Section, ...]
    currency: Currency | None = None  # the pack's
    month_names: Mapping[str, Text] = field(default_factory=dict)  # the pack's (Iraq: كانون الثاني), by "january"


@dataclass(frozen=True)
class Member:
    """What the statement says of a person: a name in each language, and sex for agreement."""

    name: Text
    sex: str | None = None


def count(n: int, language: Language, one: Text, two: str, few: str, many: str) -> str:
    """`n` things with Arabic number agreement: واحد after the noun, the dual, the plural of 3 to
    10, the accusative singular of 11 to 99, the singular from 100 (English: one, otherwise plural)."""
    if language == "en":
        return f"{n} {one.en}" if n == 1 else f"{n} {one.en}s"
    if n == 1:
        return f"{one.ar} واحد"
    if n == 2:
        return two
    if 3 <= n % 100 <= 10:
        return f"{n} {few}"
    if 11 <= n % 100 <= 99:
        return f"{n} {many}"
    return f"{n} {one.ar}"


def members_counted(n: int, language: Language) -> str:
    return count(n, language, Text("member", "فرد"), "فردان", "أفراد", "فرداً")


def month_name(period: str, language: Language, names: Mapping[str, Text] | None = None) -> str:
    """`2025-11` as a month is named: November 2025; in Arabic by the pack's names where it has
    them (Iraq's تشرين الثاني), else نوفمبر."""
    year, month = period.split("-")
    english, arabic = MONTHS[int(month) - 1]
    named = (names or {}).get(english.lower())
    return f"{english if language == 'en' else named.ar if named else arabic} {year}"


def money(amount: int, language: Language, currency: Currency) -> str:
    return currency.shown(amount, language, grouped=True)


def statement(explanation: Explanation, members: Mapping[str, Member] | None = None) -> Statement:
    """The family's statement for the explanation's month: a section per benefit a member receives
    (or is refused by combination), and one for the family's income support."""
    members = members or {}
    # The relationship's name, and by the person's sex where the pack gives it ("child.F": الابنة).
    relationships = {**explanation.names.get("relationship", {}), **explanation.names.get("relationship_by_sex", {})}
    currency = explanation.currency
    assert currency is not None, "a statement states amounts in the pack's currency"
    sections = []
    for person in explanation.persons:
        who = _who(person.person_id, person.relationship, members, relationships)
        for programme in person.programmes:
            if programme.amount == 0 and not programme.withheld and not programme.members:
                continue  # a benefit the person has nothing to do with
            lines = [
                *_conditions(programme, currency),
                *_figures(programme, currency),
                *_family_income(programme, members, relationships, currency),
            ]
            lines += [*_formulas(programme, currency), *_withheld(programme), *_references(programme)]
            title = Text(
                f"{programme.name.en} — {who.en}" if not programme.members else programme.name.en,
                f"{programme.name.ar} — {who.ar}" if not programme.members else programme.name.ar,
            )
            sections.append(Section(title, tuple(lines), programme.amount, person.person_id, programme.key))
    period = str(explanation.period)
    total = explanation.total
    months = explanation.names.get("month", {})
    title = Text(
        f"What the family receives for {month_name(period, 'en')}: {money(total, 'en', currency)}",
        f"ما تستحقه الأسرة عن شهر {month_name(period, 'ar', months)}: {money(total, 'ar', currency)}",
    )
    return Statement(explanation.family_id, period, title, total, tuple(sections), currency, months)


def _who(person_id: str, relationship: str, members: Mapping[str, Member], names: Mapping[str, Text]) -> Text:
    found = members.get(person_id)
    role = (names.get(f"{relationship}.{found.sex}") if found and found.sex else None) or names.get(relationship)
    en = found.name.en if found and found.name.en else f"person {person_id}"
    ar = found.name.ar if found and found.name.ar else f"الفرد {person_id}"
    return Text(f"{en} ({role.en})" if role else en, f"{ar} ({role.ar})" if role else ar)


def _conditions(programme: ProgrammeExplanation, currency: Currency) -> list[Line]:
    if programme.amount > 0 or programme.withheld:
        held = [c.label for c in programme.conditions]
        return [
            Line(
                "condition", Text("Because: " + "; ".join(t.en for t in held), "لأن: " + "؛ ".join(t.ar for t in held))
            )
        ]
    failed = [c.label for c in programme.conditions if not c.holds]
    if not failed:  # every condition holds, and the amount works out at zero: say what outweighs what
        return [Line("condition", nothing_left(programme, currency))]
    return [
        Line(
            "condition",
            Text(
                "Not paid: not met: " + "; ".join(t.en for t in failed),
                "لا تُصرف لعدم تحقق: " + "؛ ".join(t.ar for t in failed),
            ),
        )
    ]


def _figures(programme: ProgrammeExplanation, currency: Currency) -> list[Line]:
    """A person's amounts the rule looked at (an income tested, a pension topped up) that no formula
    writes out already; a family programme shows its members' incomes instead."""
    if programme.members:
        return []
    in_formulas = {o.source for f in programme.formulas for o in (f.first, *(x for _, x in f.rest))}
    return [
        Line(
            "income",
            Text(
                f"{f.label.en}: {money(int(f.value), 'en', currency)}",
                f"{f.label.ar}: {money(int(f.value), 'ar', currency)}",
            ),
            int(f.value),
        )
        for f in programme.figures
        if f.shown is Shown.MONEY and f.value and f"figure:{f.key}" not in in_formulas
    ]


def _family_income(
    programme: ProgrammeExplanation, members: Mapping[str, Member], names: Mapping[str, Text], currency: Currency
) -> list[Line]:
    """For a family programme: how many members count, and each one's counted income by component."""
    if not programme.members:
        return []
    lines = []
    size = next((f.value for f in programme.figures if f.key == "members"), None)
    if size is not None:
        lines.append(
            Line(
                "note",
                Text(
                    f"Members counted in the family: {members_counted(int(size), 'en')}",
                    f"أفراد الأسرة المحتسبون: {members_counted(int(size), 'ar')}",
                ),
            )
        )
    for member in programme.members:
        who = _who(member.person_id, member.relationship, members, names)
        lines += _member_lines(member, who, members, currency)
    return lines


def _member_lines(member: MemberRow, who: Text, members: Mapping[str, Member], currency: Currency) -> list[Line]:
    """One member of a family programme: not counted (and so their income), or their income counted
    with its components and what is left out of it."""
    values = {v.key: v for v in member.values}
    lines: list[Line] = []
    if not values.get("counted") or not values["counted"].value:
        female = (members.get(member.person_id) or Member(Text("", ""))).sex == "F"
        counted_ar, income_ar = ("غير محتسبة", "دخلها") if female else ("غير محتسب", "دخله")
        lines.append(
            Line(
                "not_counted",
                Text(
                    f"{who.en}: not counted in the family unit, so their income is not counted",
                    f"{who.ar}: {counted_ar} ضمن الأسرة، فلا يُحتسب {income_ar}",
                ),
            )
        )
        return lines
    income = int(values["income"].value) if "income" in values else 0
    lines.append(
        Line(
            "income",
            Text(
                f"{who.en}: income counted {money(income, 'en', currency)}",
                f"{who.ar}: الدخل المحتسب {money(income, 'ar', currency)}",
            ),
            income,
        )
    )
    for key, value in values.items():
        if key.startswith("part.") and value.value:
            amount = int(value.value)
            lines.append(
                Line(
                    "income",
                    Text(
                        f"  {value.label.en}: {money(amount, 'en', currency)}",
                        f"  {value.label.ar}: {money(amount, 'ar', currency)}",
                    ),
                    amount,
                )
            )
        if key.startswith("excluded.") and value.value:
            amount, part = int(value.value), values.get(f"part.{key.removeprefix('excluded.')}")
            name = part.label if part else Text("", "")
            lines.append(
                Line(
                    "excluded",
                    Text(
                        f"  {name.en}: {money(amount, 'en', currency)}, {value.label.en}",
                        f"  {name.ar}: {money(amount, 'ar', currency)}، {value.label.ar}",
                    ),
                    amount,
                )
            )
    return lines


def _formulas(programme: ProgrammeExplanation, currency: Currency) -> list[Line]:
    """Each formula of the rule written out with its figures, if it holds for them (a formula
    that would not give the amount shown, such as a capped one, is left out rather than shown wrong)."""
    lines = []
    for formula in programme.formulas:
        written = _written(formula, programme, currency)
        if written is not None:
            lines.append(Line("arithmetic", written[0], written[1]))
    return lines


def _written(formula: Formula, programme: ProgrammeExplanation, currency: Currency) -> tuple[Text, int] | None:
    result, first = operand_value(formula.result, programme), operand_value(formula.first, programme)
    if result is None or first is None:
        return None
    en, ar = f"{formula.first.label.en} {currency.format(first)}", f"{formula.first.label.ar} {currency.format(first)}"
    worked, below_zero = first, False
    for op, operand in formula.rest:
        value = operand_value(operand, programme)
        if value is None:
            return None
        if op is Op.MINUS:
            below_zero = worked - int(value) < 0
            worked = max(0, worked - int(value))
            en = f"{en} − {operand.label.en} {currency.format(value)}"
            ar = f"{ar} − {operand.label.ar} {currency.format(value)}"
        else:  # x the square root of a count: the rule rounds it to the baisa; the result is the rule's
            worked = round(worked * math.sqrt(int(value)))
            en += f" × √{value} ({operand.label.en})"
            ar += f" × الجذر التربيعي {_of(operand.label.ar)} ({value})"
    if abs(worked - int(result)) > (1 if formula.rest and formula.rest[-1][0] is Op.TIMES_ROOT else 0):
        return None
    shown = currency.format(int(result))
    en_end, ar_end = (" (never below zero)", " (لا يقل عن صفر)") if below_zero else ("", "")
    return Text(
        f"{formula.result.label.en}: {en} = {shown}{en_end}", f"{formula.result.label.ar}: {ar} = {shown}{ar_end}"
    ), int(result)


def _of(noun: str) -> str:
    """The preposition لِـ joined to a noun (لعدد), with the article as the spelling wants it (للأفراد)."""
    return f"لل{noun[2:]}" if noun.startswith("ال") else f"ل{noun}"


def _withheld(programme: ProgrammeExplanation) -> list[Line]:
    return [Line("withheld", Text(f"Not paid: {r.en}", f"لا تُصرف: {r.ar}")) for r in programme.withheld]


def _references(programme: ProgrammeExplanation) -> list[Line]:
    """The sources of the parameters used, each named once (a reference lists its sources with ";");
    for a family's support, refused too (the family is told on what ground)."""
    if programme.amount == 0 and not programme.withheld and not programme.members:
        return []
    parts: dict[str, None] = {}
    parts_en: dict[str, None] = {}
    for use in programme.parameters:
        parts |= dict.fromkeys(p.strip() for p in (use.reference_ar or "").split("؛") if p.strip())
        parts_en |= dict.fromkeys(p.strip() for p in use.reference.split(";") if p.strip())
    if not parts:
        return []
    return [Line("reference", Text("Legal basis: " + "; ".join(parts_en), "السند النظامي: " + "؛ ".join(parts)))]


def render_statement(result: Statement, language: Language = "en") -> str:
    """The statement as plain text (the command line); Arabic lines read right to left."""
    currency = result.currency
    assert currency is not None, "a statement states amounts in the pack's currency"
    lines = [result.title.in_(language)]
    for section in result.sections:
        amount = f": {money(section.amount, language, currency)}" if section.amount is not None else ""
        lines += ["", f"{section.title.in_(language)}{amount}"]
        lines += [f"  {line.text.in_(language)}" for line in section.lines]
    text = "\n".join(lines)
    return right_to_left(text) if language == "ar" else text


def statement_json(result: Statement, language: Language) -> dict[str, Any]:
    """The statement for the API and the web: words in one language, amounts in the currency's
    smallest unit (the `_baisa` fields, so named since Oman) and as decimal text of the currency."""
    return {
        "family_number": result.family_id,
        "period": result.period,
        "title": result.title.in_(language),
        "total_baisa": result.total,
        "total": result.currency.format(result.total) if result.currency else str(result.total),
        "sections": [
            {
                "title": s.title.in_(language),
                "person": s.person_id,
                "programme": s.programme,
                "amount_baisa": s.amount,
                "lines": [
                    {"kind": line.kind, "text": line.text.in_(language), "amount_baisa": line.amount}
                    for line in s.lines
                ],
            }
            for s in result.sections
        ],
    }


def members_of(people: pl.DataFrame, person_column: str = "person_id") -> dict[str, Member]:
    """Each person's name (given and family name, where the table has them) and sex."""
    names: dict[str, Member] = {}
    for row in people.iter_rows(named=True):
        en = " ".join(str(row[c]) for c in ("given_name_en", "family_name_en") if row.get(c))
        ar = " ".join(str(row[c]) for c in ("given_name_ar", "family_name_ar") if row.get(c))
        names[str(row[person_column])] = Member(Text(en, ar), row.get("sex"))
    return names
