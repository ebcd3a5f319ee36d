"""A case's letter to its person (`core/letter.Letter`): the decision with its reasons and the right of
appeal, the referral to a service, or the receipt; from the case type's templates, in the case's
language or another. Pure: `cases.actions.letter` reads the case and prints nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from himaya.cases.notices import decision_reasons, referral_names, template_values
from himaya.cases.rules import render
from himaya.core.errors import ConflictError
from himaya.core.letter import Letter, LetterBlock, LetterLine
from himaya.core.text import Language, Text
from himaya.policy.case_types import CaseCatalogue, CaseType
from himaya.policy.services import ServiceCatalogue

MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")
# Which template a letter of each kind prints, in the order a case's life reaches them.
KINDS = {"decision": "decision", "referral": "referral_made", "receipt": "received"}
WORDS = {
    "number": Text("Case number", "رقم الحالة"),
    "type": Text("Subject", "الموضوع"),
    "date": Text("Date", "التاريخ"),
    "to": Text("To", "إلى"),
    "civil": Text("Civil number", "الرقم المدني"),
    "greeting": Text("Greetings,", "تحية طيبة وبعد،"),
    "reasons": Text("Reasons", "الأسباب"),
    "referral": Text("The referral", "بيانات الإحالة"),
    "closing": Text(
        "Please quote the case number in any correspondence about it.", "يُرجى ذكر رقم الحالة في أي مراسلة بشأنها."
    ),
}
REFERRAL_FIELDS = ("provider", "reason")  # what a referral letter repeats of the case's form (free text)


def written_date(day: date, language: Language, names: Mapping[str, Text] | None = None) -> str:
    """30 November 2026, 30 نوفمبر 2026; in Arabic by the pack's month `names` where it has them
    (Iraq's: 30 تشرين الثاني 2026)."""
    english = day.strftime("%B")
    named = (names or {}).get(english.lower())
    arabic = named.ar if named is not None else MONTHS[day.month - 1]
    return f"{day.day} {arabic if language == 'ar' else english} {day.year}"


def which(kind: CaseType, case: Mapping[str, Any]) -> str:
    """The letter a case has to give now: its decision once decided, a referral once sent, else a receipt."""
    if case.get("decision") and KINDS["decision"] in kind.templates:
        return "decision"
    if KINDS["referral"] in kind.templates and case["state"] not in {kind.states[0].key}:
        return "referral"
    if KINDS["receipt"] in kind.templates:
        return "receipt"
    raise ConflictError(f"case {case['number']}: its type {kind.key} has no letter to give in state {case['state']}")


def _addressee(catalogue: CaseCatalogue, case: Mapping[str, Any], name: Text | None, lang: Language) -> tuple[str, ...]:
    """To whom, by name and by number (as the pack names a person's number)."""
    if not case.get("civil_number"):
        return ()
    who = name.in_(lang) if name is not None and name.in_(lang) else ""
    number = f"{catalogue.person_number.in_(lang)}: {case['civil_number']}"
    return ((f"{WORDS['to'].in_(lang)}: {who}",) if who else ()) + (number,)


def case_letter(
    catalogue: CaseCatalogue,
    kind: CaseType,
    case: Mapping[str, Any],
    *,
    name: Text | None,
    sender: Text,
    day: date,
    language: Language | None = None,
    what: str | None = None,
    services: ServiceCatalogue | None = None,
) -> Letter:
    """The case's letter of kind `what` (decision, referral, receipt; default: `which`) in `language`
    (default: the case's); a referral's service and provider named from `services` (else their codes)."""
    lang: Language = language or case["language"]
    what = what or which(kind, case)
    if what not in KINDS or KINDS[what] not in kind.templates:
        raise ConflictError(f"case {case['number']}: its type {kind.key} has no {what} letter")
    if what == "decision" and not case.get("decision"):
        raise ConflictError(f"case {case['number']} is not decided: it has no decision letter yet")
    if what == "referral" and case["state"] == kind.states[0].key:
        raise ConflictError(f"case {case['number']} is only proposed: it has no referral letter yet")
    reasons = decision_reasons(case.get("reason"), case.get("rules") if what == "decision" else None, lang)
    values = template_values(catalogue, kind, case, lang, day=day, reason=reasons)
    named = referral_names(services, case.get("form"))[lang]
    subject, body = render(kind.templates[KINDS[what]], lang, values | named)

    def w(key: str) -> str:
        return WORDS[key].in_(lang)

    addressee = _addressee(catalogue, case, name, lang)
    blocks = []
    if what == "decision" and reasons and reasons not in body:  # unless the template says them
        blocks.append(LetterBlock(w("reasons"), None, (LetterLine(reasons),)))
    if what == "referral":
        form = case.get("form") or {}
        lines = tuple(
            LetterLine(f"{kind.labels[f].in_(lang)}: {named.get(f) or form[f]}")
            for f in REFERRAL_FIELDS
            if form.get(f) and f in kind.labels
        )
        if lines:
            blocks.append(LetterBlock(w("referral"), None, lines))
    return Letter(
        language=lang,
        sender=sender.in_(lang),
        title=subject,
        reference=(
            (w("number"), case["number"]),
            (w("type"), kind.name.in_(lang)),
            (w("date"), written_date(day, lang, catalogue.month_names)),
        ),
        addressee=addressee,
        opening=(w("greeting"), body),
        blocks=tuple(blocks),
        closing=(w("closing"),),
    )
