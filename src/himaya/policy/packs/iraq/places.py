"""Iraq's governorates and districts (`data/districts.csv`, sourced in `data/README.md`)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

from himaya.core.text import Text


@cache
def rows() -> tuple[dict[str, str], ...]:
    """The districts with their governorate, in English and Arabic, and whether the federal scheme reaches it."""
    with (files("himaya.policy.packs.iraq") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return tuple(csv.DictReader(file))


def governorates() -> tuple[str, ...]:
    """The governorates' codes (their English names), in the file's order."""
    return tuple(dict.fromkeys(r["governorate_en"] for r in rows()))


def districts() -> tuple[str, ...]:
    return tuple(r["district_en"] for r in rows())


def outside_federal_scheme() -> tuple[str, ...]:
    """The governorates of the Kurdistan Region, which the federal Law 11/2014 scheme does not reach."""
    return tuple(dict.fromkeys(r["governorate_en"] for r in rows() if r["federal_scheme"] == "false"))


def places() -> dict[str, str]:
    """Each district's governorate: a place is one district."""
    return {r["district_en"]: r["governorate_en"] for r in rows()}


def governorate_names() -> dict[str, Text]:
    return {r["governorate_en"]: Text(r["governorate_en"], r["governorate_ar"]) for r in rows()}


def district_names() -> dict[str, Text]:
    return {r["district_en"]: Text(r["district_en"], r["district_ar"]) for r in rows()}
