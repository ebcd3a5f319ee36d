"""The people table's refusals in Arabic, for a reader of the front office.

`validate_table` says each broken rule in English (the command line, the API, the import reports);
a branch officer reading the form in Arabic gets the same rule in Arabic here: the pack's own
Arabic for the shapes it defines (`Column.rule_ar`), the Arabic names of a code list's codes, and
for the contract's fixed rules the sentences below. Never an English word: a rule this module does
not know is said generically rather than half in English (and a test feeds every kind of bad value
through the validator to make sure none falls there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from himaya.core.errors import Problem
from himaya.core.text import Text
from himaya.policy.schema import Column, Kind, TableSchema

GENERIC = "هذه القيمة غير صالحة."
MISSING = "هذه القيمة مطلوبة."
_FIXED = {
    "required value missing": MISSING,
    "has wrong IBAN check digits (ISO 13616, mod 97)":
        "رقما التحقق في رقم الحساب المصرفي الدولي (IBAN) غير صحيحين: راجِع الرقم.",
    "must be an ISO 3166-1 alpha-2 country code in capitals, such as OM":
        "يجب أن يكون رمز دولة من حرفين لاتينيين كبيرين، مثل OM.",
    "must be a real date written YYYY-MM-DD": "يجب أن يكون تاريخًا صحيحًا مكتوبًا بالصيغة YYYY-MM-DD.",
    "must be true or false (or 1 or 0)": "يجب أن تكون نعم أو لا.",
    "must not be negative": "يجب ألا يكون المبلغ سالبًا.",
}  # fmt: skip
_AT_MOST = re.compile(r"^must be at most (?P<most>.+): a larger amount is a typing error$")
_DECIMALS = re.compile(r"^has more than (?P<n>[0-9]+) decimals: ")
_WHOLE = re.compile(r"^has decimals: ")
_TOO_LARGE = re.compile(r"^is too large: ")
_AMOUNT = re.compile(r"^must be an amount in \S+ such as (?P<example>\S+)$")


def in_arabic(
    problem: Problem,
    schema: TableSchema,
    *,
    codes: Mapping[str, Mapping[str, Text]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """`problem` (of `validate_table` on `schema`) as an Arabic sentence for the field it names.
    `codes`: the names of code values by column (the pack's `code_names`); `labels`: the form's
    Arabic labels of other columns a rule may name (a death date before the date of birth)."""
    rule = problem.rule
    if rule in _FIXED:
        return _FIXED[rule]
    column = schema.column(problem.column) if problem.column in schema.names else None
    if column is not None and column.kind in (Kind.PATTERN, Kind.IBAN) and rule == column.rule:
        return column.rule_ar or GENERIC
    if column is not None and column.kind is Kind.CODE and rule.startswith("must be one of "):
        return _one_of(column, (codes or {}).get(column.name, {}))
    return _money(rule, schema) or _table_rule(problem, labels or {}) or GENERIC


def _one_of(column: Column, codes: Mapping[str, Text]) -> str:
    if len(column.codes) > 12:  # a place list: the form's choices say it better than a long sentence
        return "اختر قيمة من القائمة."
    named = "، ".join(codes[c].ar if c in codes else c for c in column.codes)
    return f"يجب أن تكون إحدى القيم: {named}."


def _money(rule: str, schema: TableSchema) -> str | None:
    currency = schema.currency
    symbol = currency.symbol.ar if currency else ""
    if found := _AT_MOST.match(rule):
        return f"يجب ألا يزيد المبلغ على {found['most'].split()[0]} {symbol}: المبلغ الأكبر خطأ في الكتابة على الأرجح."
    if found := _DECIMALS.match(rule):
        return f"يجب ألا يزيد المبلغ على {found['n']} منازل عشرية."
    if _WHOLE.match(rule):
        return "يجب أن يكون المبلغ عددًا صحيحًا بلا كسور."
    if _TOO_LARGE.match(rule):
        return "المبلغ أكبر مما يُقبل: راجِع عدد الأرقام."
    if found := _AMOUNT.match(rule):
        return f"يجب أن يكون مبلغًا بالأرقام، مثل {found['example']}."
    return None


def _table_rule(problem: Problem, labels: Mapping[str, str]) -> str | None:
    """The rules across rows: unique values, one head per family, dates in order, head-only facts."""
    rule, kind = problem.rule, problem.kind
    if kind == "must be unique":
        return "هذه القيمة مسجَّلة لشخص آخر: يجب ألا تتكرر."
    if kind.startswith("is before "):
        reference = kind.removeprefix("is before ")
        return f"يجب ألا يكون هذا التاريخ قبل {labels.get(reference, 'التاريخ الذي يجب أن يسبقه')}."
    if kind.startswith("more than one row with "):
        return "لا يكون في الأسرة إلا رب أسرة واحد."
    if rule.startswith("has no row with ") and rule.endswith("exactly one is needed"):
        return "يجب أن يكون في الأسرة رب أسرة واحد."
    if kind.startswith("given on a row not of the "):
        return "هذه القيمة تُسجَّل في صف رب الأسرة وحده."
    if kind.startswith("given without "):
        source = kind.removeprefix("given without ")
        return f"لا تُقبل هذه القيمة دون {labels.get(source, 'الحقل الذي هي جزء منه')}: أدخِلهما معًا أو اتركهما فارغين."
    if kind.startswith("does not match "):
        source = kind.removeprefix("does not match ")
        return f"لا توافق هذه القيمة ما في {labels.get(source, 'الحقل الذي تُؤخذ منه')}: يجب أن تكون جزءًا منه."
    return None
