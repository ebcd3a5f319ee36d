"""What the Oman registry records beside the people table: civil number, names, place, contact, bank."""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache
from importlib.resources import files

from himaya.core.text import Text
from himaya.policy.packs.oman.schema import PEOPLE
from himaya.policy.registry import Held, RegistryFact
from himaya.policy.schema import Column, Kind, PartOf

NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name")


@cache
def wilayats() -> list[dict[str, str]]:
    """The 61 wilayats with their governorate, in English and Arabic, and population figures."""
    with (files("himaya.policy.packs.oman") / "data" / "wilayats.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@cache
def places() -> dict[str, str]:
    """Each wilayat's governorate: a place is one wilayat; its governorate is derived, never given."""
    return {w["wilayat_en"]: w["governorate_en"] for w in wilayats()}


@cache
def governorate_names() -> dict[str, Text]:
    """The 11 governorates in English and Arabic, by the code the registry records (the English name)."""
    return {w["governorate_en"]: Text(w["governorate_en"], w["governorate_ar"]) for w in wilayats()}


@cache
def wilayat_names() -> dict[str, Text]:
    """The 61 wilayats in English and Arabic, by the code the registry records (the English name);
    the Arabic names as in `data/wilayats.csv` (NCSI's, see data/README.md)."""
    return {w["wilayat_en"]: Text(w["wilayat_en"], w["wilayat_ar"]) for w in wilayats()}


# Control characters, and the bidirectional marks and overrides that make text read otherwise
# than it is stored (a name shown reversed on a letter or a screen).
_HIDDEN = "\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069<>"
NAME_PATTERN = f"^[^\\s{_HIDDEN}](?:[^{_HIDDEN}]{{0,98}}[^\\s{_HIDDEN}])?$"


def _names() -> tuple[Column, ...]:
    return tuple(
        Column(
            f"{part}_{script}",
            Kind.PATTERN,
            required=False,
            pattern=NAME_PATTERN,
            rule="must be 1 to 100 characters, without control or direction characters, < or >,"
            " nor spaces at either end",
            rule_ar="يجب أن يكون من حرف واحد إلى 100 حرف، بلا رموز تحكم أو اتجاه ولا < أو >،"
            " ولا مسافة في أوله أو آخره.",
        )
        for script in ("ar", "en")
        for part in NAME_PARTS
    )


_COLUMNS = PEOPLE.extended(
    Column(
        "person_id",
        Kind.PATTERN,
        required=True,
        pattern=r"^[1-9][0-9]{7}$",
        rule="must be a civil number: 8 digits, not starting with 0",
        rule_ar="يجب أن يكون رقمًا مدنيًا من 8 أرقام لا يبدأ بصفر.",
    ),
    Column(
        "family_id",
        Kind.PATTERN,
        required=True,
        # Letters, digits, - and _ only: a family number is part of its page's address (/families/F-0001),
        # so "/", "?", "#", "%" or ".." would make a family no page can reach.
        pattern=r"^[0-9A-Za-z_-]{1,32}$",
        rule="must be 1 to 32 Latin letters, digits, - or _",
        rule_ar="يجب أن يكون من حرف واحد إلى 32 من الحروف اللاتينية أو الأرقام أو - أو _.",
    ),
    *_names(),
    Column("governorate", Kind.CODE, required=False, codes=tuple(sorted({w["governorate_en"] for w in wilayats()}))),
    Column("wilayat", Kind.CODE, required=False, codes=tuple(w["wilayat_en"] for w in wilayats())),
    Column(
        "mobile",
        Kind.PATTERN,
        required=False,
        pattern=r"^\+968[79][0-9]{7}$",
        rule="must be an Omani mobile number: +968 then 8 digits starting with 7 or 9",
        rule_ar="يجب أن يكون رقم هاتف نقال عُمانيًا: ‎+968 ثم 8 أرقام تبدأ بالرقم 7 أو 9.",
    ),
    Column(
        "bank_code",
        Kind.PATTERN,
        required=False,
        pattern=r"^[0-9]{3}$",
        rule="must be a 3-digit bank code",
        rule_ar="يجب أن يكون رمز مصرف من 3 أرقام.",
    ),
    Column(
        "iban",
        Kind.IBAN,
        required=False,
        pattern=r"^OM[0-9]{21}$",
        rule="must be an Omani IBAN: OM, 2 check digits, 3-digit bank code, 16-digit account",
        rule_ar="يجب أن يكون رقم حساب مصرفي دولي (IBAN) عُمانيًا: OM ثم رقما تحقق ثم رمز المصرف (3 أرقام)"
        " ثم رقم الحساب (16 رقمًا).",
    ),
)
# An Omani IBAN carries its bank's code (OMkk BBB A...): a bank code beside it must be that one.
REGISTRY = replace(_COLUMNS, part_of=(PartOf("bank_code", "iban", 2 + 2, 3),))
INCOME_KINDS = ("wage", "pension", "survivor_pension", "alimony", "other_income")

# The time-bound facts of the registry, each from the record's columns (docs/people-table.md).
FACTS = (
    RegistryFact(
        "situation",
        "person_situation",
        {
            c: c
            for c in ("resident", "marital_status", "has_children", "employed", "father_deceased", "mother_deceased")
        },
    ),
    RegistryFact(
        "disability",
        "disability_assessment",
        {"category": "disability_category", "card": "disability_card"},
        Held.ANY,
        ("disability_category", "disability_card"),
    ),
    RegistryFact(
        "earning_capacity",
        "earning_capacity",
        {"monthly_amount": "earning_capacity"},
        Held.POSITIVE,
        ("earning_capacity",),
    ),
    RegistryFact("bank_account", "bank_account", {"iban": "iban", "bank_code": "bank_code"}, Held.ANY, ("iban",)),
    *(
        RegistryFact(f"income.{kind}", "income", {"monthly_amount": kind}, Held.POSITIVE, (kind,), {"kind": kind})
        for kind in INCOME_KINDS
    ),
)
