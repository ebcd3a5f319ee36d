"""Why a pension is what it is, in English and Arabic: each step of `pension.pensions` for one person,
read from the very row the rules computed (so an explanation can never disagree with the batch),
and every parameter consulted with its value, status and legal reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from himaya.core.money import Currency
from himaya.core.text import Language, Text
from himaya.insurance.pension import Kind, Status
from himaya.insurance.pension_terms import CAREER_PATHS, INVALIDITY_PATHS, PENSION_PATHS
from himaya.policy.parameters import ParameterTree
from himaya.policy.parameters import Status as ParameterStatus

KIND_NAMES = {
    Kind.OLD_AGE: Text("Old-age pension", "معاش الشيخوخة"),
    Kind.DISABILITY: Text("Disability pension", "معاش العجز"),
    Kind.DEATH: Text("Death pension", "معاش الوفاة"),
    Kind.JOB_SECURITY: Text("Job security benefit", "منفعة الأمان الوظيفي"),
    Kind.MATERNITY: Text("Maternity allowance", "بدل الأمومة"),
}
STATUS_NAMES = {
    Status.ENTITLED: Text("entitled", "مستحق"),
    Status.TOO_YOUNG: Text("not entitled: younger than the earliest pension age", "غير مستحق: دون أدنى سن للمعاش"),
    Status.TOO_FEW_MONTHS: Text(
        "not entitled: too few months of contributions", "غير مستحق: أشهر الاشتراك أقل من الحد الأدنى"
    ),
    Status.DEAD: Text("not entitled: the person died before the day", "غير مستحق: تُوفي الشخص قبل التاريخ"),
    Status.BEFORE_BRANCH: Text(
        "not entitled: before the branch of insurance was in force", "غير مستحق: قبل نفاذ فرع التأمين"
    ),
}


@dataclass(frozen=True)
class Step:
    label: Text
    value: Text


@dataclass(frozen=True)
class Used:
    """A parameter consulted: its value in force, status and reference, in both languages."""

    path: str
    description: Text
    value: Text
    status: ParameterStatus
    reference: Text


@dataclass(frozen=True)
class PensionExplanation:
    civil_number: str
    kind: Kind
    day: date
    status: Status
    pension: int  # baisa a month
    steps: tuple[Step, ...]
    parameters: tuple[Used, ...]

    def lines(self, language: Language, currency: Currency) -> list[str]:
        """The explanation as a person reads it."""
        name = KIND_NAMES[self.kind].in_(language)
        amount = currency.shown(self.pension, language, grouped=True)
        status = STATUS_NAMES[self.status].in_(language)
        comma = "، " if language == "ar" else ", "
        out = [f"{name}{comma}{self.civil_number}{comma}{self.day}: {amount} ({status})"]
        out += [f"  {s.label.in_(language)}: {s.value.in_(language)}" for s in self.steps]
        out.append("  " + ("المعاملات" if language == "ar" else "Parameters") + ":")
        for used in self.parameters:
            out.append(f"    {used.path} = {used.value.in_(language)} [{used.status.name_text.in_(language)}]")
            out.append(f"      {used.reference.in_(language)}")
        return out


def money_text(currency: Currency, baisa: int) -> Text:
    return Text(currency.shown(baisa, "en", grouped=True), currency.shown(baisa, "ar", grouped=True))


def months_text(count: int) -> Text:
    return Text(f"{count // 12} years {count % 12} months ({count})", f"{count // 12} سنة و{count % 12} شهر ({count})")


def _steps(row: dict[str, object], kind: Kind, currency: Currency) -> list[Step]:
    money = {k: money_text(currency, int(str(row[k]))) for k in ("average", "accrued", "capped", "reduced", "pension")}
    steps = [
        Step(Text("Age on the day", "العمر في التاريخ"), months_text(int(str(row["age_months"])))),
        Step(Text("Unreduced pension age", "سن المعاش دون تخفيض"), months_text(int(str(row["unreduced_months"])))),
        Step(Text("Months of old-age insurance", "أشهر تأمين الشيخوخة"), Text(str(row["months"]), str(row["months"]))),
        Step(Text("Average revalued wage", "متوسط الأجر المعاد تقييمه"), money["average"]),
    ]
    if kind is not Kind.OLD_AGE:
        credited = str(row["credited"])
        steps.append(
            Step(Text("Months credited to the pension age", "الأشهر المضافة حتى سن المعاش"), Text(credited, credited))
        )
    steps.append(
        Step(
            Text("Accrued: average x accrual x years", "المستحق: المتوسط × نسبة الاستحقاق × السنوات"), money["accrued"]
        )
    )
    if row["capped"] != row["accrued"]:
        steps.append(Step(Text("Held at the maximum pension", "مخفَّض إلى الحد الأقصى للمعاش"), money["capped"]))
    if int(str(row["months_early"])):
        early = str(row["months_early"])
        label = Text(f"Reduced for {early} months before the unreduced age", f"مخفَّض عن {early} شهرًا قبل السن دون تخفيض")
        steps.append(Step(label, money["reduced"]))
    if row["minimum_applied"]:
        steps.append(Step(Text("Raised to the minimum pension", "مرفوع إلى الحد الأدنى للمعاش"), money["pension"]))
    return steps


def used_parameters(tree: ParameterTree, paths: tuple[str, ...], day: date) -> list[Used]:
    """Each parameter of `paths` as in force on `day` (or its first value, for a day before it)."""
    used = []
    for path in paths:
        parameter = tree[path]
        on = max(day, parameter.values[0].start)
        value = parameter.value_at(on).value
        shown = Text(parameter.shown(value, "en"), parameter.shown(value, "ar"))
        reference = Text(parameter.reference_in(on, "en"), parameter.reference_in(on, "ar"))
        used.append(Used(path, parameter.description, shown, parameter.status_at(on), reference))
    return used


def explain(
    row: dict[str, object], kind: Kind, day: date, tree: ParameterTree, currency: Currency
) -> PensionExplanation:
    """The explanation of one row of `pensions` (its columns as a dict) computed on `day`."""
    paths = (*PENSION_PATHS, *CAREER_PATHS, *(INVALIDITY_PATHS if kind is not Kind.OLD_AGE else ()))
    used = used_parameters(tree, paths, day)
    return PensionExplanation(
        civil_number=str(row["civil_number"]),
        kind=kind,
        day=day,
        status=Status(str(row["status"])),
        pension=int(str(row["pension"])),
        steps=tuple(_steps(row, kind, currency)),
        parameters=tuple(used),
    )
