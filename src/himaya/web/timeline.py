"""A person's history as the reader reads it: each recorded value's column named in the reader's
language, and its value written in it (yes or no, the pack's names of codes, money, dates), so an
Arabic page shows no column name or code in Latin letters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from himaya.web.pages import Visitor

LTR = frozenset({"iban", "bank_code", "family_number"})  # written left to right, as they are
CASE_SOURCE = "case "  # a row's source when a case's decision wrote it (`case C-2026-000002`)


def _labels(seen: Visitor) -> dict[str, str]:
    _ = seen._
    return {
        "family_number": _("Family"),
        "relationship": _("Relationship"),
        "resident": _("Resident"),
        "marital_status": _("Marital status"),
        "has_children": _("Has children"),
        "employed": _("Employed"),
        "father_deceased": _("Father deceased"),
        "mother_deceased": _("Mother deceased"),
        "category": _("Disability category"),
        "card": _("Disability card"),
        "kind": _("Kind of income"),
        "monthly_amount": _("Amount a month"),
        "iban": _("IBAN"),
        "bank_code": _("Bank code"),
        "source": _("Source"),
    }


def _codes(seen: Visitor) -> dict[str, str]:
    _ = seen._
    return {
        "single": _("single"),
        "married": _("married"),
        "divorced": _("divorced"),
        "widowed": _("widowed"),
        "wage": _("wage"),
        "pension": _("pension"),
        "survivor_pension": _("survivor's pension"),
        "alimony": _("alimony"),
        "other_income": _("other income"),
        "import": _("the registry's record"),
    }


def shown(seen: Visitor, names: Mapping[str, Mapping[str, Any]], column: str, value: Any) -> dict[str, Any]:
    """One recorded value: its column's label and its text in the reader's language, and whether it
    is written left to right (an IBAN, a code)."""
    loc = seen.locale
    text: str
    if isinstance(value, bool):
        text = seen._("yes") if value else seen._("no")
    elif column == "monthly_amount" and isinstance(value, int):
        text = loc.money(value)
    elif isinstance(value, date):
        text = loc.day(value)
    elif column in ("relationship", "category"):
        kind = "relationship" if column == "relationship" else "disability_category"
        found = names.get(kind, {}).get(value)
        text = str(found.in_(loc.language)) if found is not None else str(value)
    elif isinstance(value, str) and value in _codes(seen):
        text = _codes(seen)[value]
    elif column == "source" and isinstance(value, str) and value.startswith(CASE_SOURCE):
        text = seen._("the decision on case {number}").format(number=loc.figures(value.removeprefix(CASE_SOURCE)))
    else:
        text = loc.figures(str(value))
    return {"label": _labels(seen).get(column, column), "text": text, "ltr": column in LTR}
