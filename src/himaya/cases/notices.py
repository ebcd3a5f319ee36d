"""The messages a case sends: to the person, from the type's templates in the case's language; to
the staff of a branch when a deadline is breached. Pure: the actions put them in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from himaya.cases.model import Delivery, Message, PersonRef
from himaya.cases.rules import filing_deadline, onward_deadline, render
from himaya.core.text import Language, Text
from himaya.policy.case_types import CaseCatalogue, CaseType
from himaya.policy.services import ServiceCatalogue

APPEAL = "appeal"  # the type whose filing deadline a decision's message states, when the pack has it


def appeal_by(catalogue: CaseCatalogue, day: date) -> date | None:
    """The last day to appeal a decision notified on `day` (None: the pack has no appeal with a deadline)."""
    appeal = catalogue.type(APPEAL)
    if appeal is None or appeal.filing is None:
        return None
    return filing_deadline(appeal, day, catalogue.calendar)


def to_person(
    catalogue: CaseCatalogue,
    kind: CaseType,
    template: str | None,
    case: Mapping[str, Any],
    person: PersonRef | None,
    *,
    day: date,
    reason: str | None = None,
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Message]:
    """The type's `template` for the case's person, in the case's language: by SMS to the mobile on
    record, else a letter printed at the branch. None for an anonymous case or a type without it.
    `extra`: more placeholders' values by language (a referral's service and provider names)."""
    if template is None or template not in kind.templates or person is None:
        return []
    language = case["language"]
    values = template_values(catalogue, kind, case, language, day=day, reason=reason)
    values |= (extra or {}).get(language, {})
    subject, body = render(kind.templates[template], language, values)
    channel = Delivery.SMS if person.mobile else Delivery.LETTER
    return [Message(person.civil_number, channel, language, subject, body, case.get("id"), person.id)]


def template_values(
    catalogue: CaseCatalogue,
    kind: CaseType,
    case: Mapping[str, Any],
    language: Language,
    *,
    day: date,
    reason: str | None,
) -> dict[str, Any]:
    """What a template's placeholders stand for, for this case, in `language` (names of states and
    categories from the type, never their keys)."""
    state = kind.state(case["state"])
    category = kind.category(case["category"]) if case.get("category") else None
    decision = kind.state(case["decision"]) if case.get("decision") else None
    return {
        "number": case["number"],
        "type": kind.name.in_(language),
        "state": state.name.in_(language) if state else case["state"],
        "category": category.name.in_(language) if category else "",
        "decision": decision.name.in_(language) if decision else "",
        "reason": reason or "",
        "due": case.get("due_on") or "",
        # An appeal's committee decision: the last day to take it further; any other decision: to appeal it.
        "appeal_by": onward_deadline(kind, day, catalogue.calendar) or appeal_by(catalogue, day) or "",
        **referral_names(None, case.get("form"))[language],
    }


def referral_names(services: ServiceCatalogue | None, form: Any) -> dict[str, dict[str, str]]:
    """A referral's service and provider as a message names them, in each language: their names in the
    catalogue (without one, or for a code it does not know, the codes on the form)."""
    form = form if isinstance(form, Mapping) else {}
    service, provider = str(form.get("service") or ""), str(form.get("provider") or "")
    found = services.services.get(service) if services else None
    where = services.providers.get(provider) if services else None
    return {
        language: {
            "service": found.name.in_(language) if found else service,
            "provider": where.name.in_(language) if where else provider,
        }
        for language in ("en", "ar")
    }


SEMICOLON = {"en": "; ", "ar": "؛ "}  # the Arabic semicolon in an Arabic message
NOT_MET = Text("conditions not met: ", "الشروط غير المستوفاة: ")
OVERRIDDEN = Text(
    "approved by a supervisor's override of the eligibility rules, recorded with the supervisor ({by})",
    "تمت الموافقة بقرار استثنائي من المشرف ({by}) يتجاوز شروط الاستحقاق، وهو مسجَّل باسمه",
)


def decision_reasons(written: str | None, verdict: Mapping[str, Any] | None, language: Language) -> str | None:
    """A decision's reasons as the person reads them (its message and its letter): the officer's,
    then what the rules said (`case_file.rules`): the conditions that failed, or, when a supervisor
    overrode them, that the approval is the supervisor's override, recorded with their name; never
    the failed conditions of an approval, which would read as a refusal.

    >>> decision_reasons("ok", {"failed": [{"en": "under 18", "ar": "دون 18"}]}, "en")
    'ok; conditions not met: under 18'
    >>> decision_reasons("ok", {"failed": [{"en": "under 18", "ar": "دون 18"}], "override": "x", "by": "huda"}, "en")
    "ok; approved by a supervisor's override of the eligibility rules, recorded with the supervisor (huda)"
    """
    if not verdict:
        return written
    if verdict.get("override"):
        said = OVERRIDDEN.in_(language).format(by=verdict.get("by", ""))
    elif verdict.get("failed"):
        said = NOT_MET.in_(language) + SEMICOLON[language].join(str(f[language]) for f in verdict["failed"])
    else:
        return written
    return f"{written}{SEMICOLON[language]}{said}" if written else said


def escalation(kind: CaseType, case: Mapping[str, Any], *, today: date) -> Message:
    """To the type's escalation role at the case's branch: the case is past its deadline."""
    late = (today - case["due_on"]) if isinstance(case["due_on"], date) else timedelta(0)
    found = kind.state(case["state"])
    state = found.name if found else Text(case["state"], case["state"])  # its name, not its key (in_review)
    subject = f"تجاوز الموعد / Deadline breached: {case['number']}"
    body = (
        f"الحالة {case['number']} ({kind.name.ar}، {state.ar}) تجاوزت موعدها {case['due_on']}"
        f" بـ {late.days} يوم.\n"
        f"Case {case['number']} ({kind.name.en}, {state.en}) was due on {case['due_on']}: {late.days} day(s) late."
    )
    recipient = f"role:{kind.escalate_to}@{case['wilayat']}"
    return Message(recipient, Delivery.STAFF, "ar", subject, body, case["id"], None)
