"""What the Oman registry records beside the people table: civil number, names, place, contact, bank."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

from himaya.policy.packs.oman.schema import PEOPLE
from himaya.policy.schema import Column, Kind

NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name")


@cache
def wilayats() -> list[dict[str, str]]:
    """The 61 wilayats with their governorate, in English and Arabic, and population figures."""
    with (files("himaya.policy.packs.oman") / "data" / "wilayats.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _names() -> tuple[Column, ...]:
    return tuple(
        Column(f"{part}_{script}", Kind.TEXT, required=False) for script in ("ar", "en") for part in NAME_PARTS
    )


REGISTRY = PEOPLE.extended(
    Column(
        "person_id",
        Kind.PATTERN,
        required=True,
        pattern=r"^[1-9][0-9]{7}$",
        rule="must be a civil number: 8 digits, not starting with 0",
    ),
    Column(
        "family_id",
        Kind.PATTERN,
        required=True,
        pattern=r"^\S{1,32}$",
        rule="must be 1 to 32 characters, without spaces",
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
    ),
    Column("bank_code", Kind.PATTERN, required=False, pattern=r"^[0-9]{3}$", rule="must be a 3-digit bank code"),
    Column(
        "iban",
        Kind.IBAN,
        required=False,
        pattern=r"^OM[0-9]{21}$",
        rule="must be an Omani IBAN: OM, 2 check digits, 3-digit bank code, 16-digit account",
    ),
)
