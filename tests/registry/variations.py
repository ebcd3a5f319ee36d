"""The kinds of variation of a second registration, one function each.

Every duplicate gets a new civil number (unless its kind is a slip of the old one), keeps the
mobile four times in ten and the IBAN twice in ten, then its kind's change. Written for this
ground truth; `himaya synth --duplicates` has its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from tests.registry.names import MALE, MALE_MORE, TRIBES, TRIBES_MORE, parse

PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
_LATIN = {a: v for a, v in parse(MALE) + parse(MALE_MORE) + parse(TRIBES) + parse(TRIBES_MORE)}
_TRIBE_LATIN = dict(parse(TRIBES) + parse(TRIBES_MORE))


@dataclass
class Record:
    values: dict[str, object]


Change = Callable[[np.random.Generator, dict[str, object]], None]


@dataclass(frozen=True)
class Variation:
    change: Change
    eligible: pl.Expr | None = None
    keeps_number: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def apply(self, rng: np.random.Generator, record: Record, taken: set[str]) -> Record:
        values = dict(record.values)
        if not self.keeps_number:
            values["civil_number"] = None
        if rng.random() >= 0.4:
            values["mobile"] = None
        if rng.random() >= 0.2:
            values["iban"] = None
        self.change(rng, values)
        if values["civil_number"] is None or values["civil_number"] in taken:
            values["civil_number"] = _fresh(rng, taken)
        taken.add(str(values["civil_number"]))
        return Record(values)


def _fresh(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        number = str(int(rng.integers(10_000_000, 99_999_999)))
        if number not in taken:
            return number


def _text(values: dict[str, object], key: str) -> str:
    return str(values[key] or "")


def _arabic_each(values: dict[str, object], edit: Callable[[str], str]) -> None:
    for part in PARTS:
        if values[f"{part}_ar"]:
            values[f"{part}_ar"] = edit(_text(values, f"{part}_ar"))


def _final_hamza(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: re.sub("اء$", "ا", s))


def _alef_hamza(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: s.replace("أ", "ا").replace("إ", "ا"))


def _ta_marbuta(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: re.sub("ة$", "ه", s))


def _alef_maqsura(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: re.sub("ى$", "ي", s))


def _persian(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: s.replace("ي", "ی").replace("ك", "ک"))


def _invisible(rng: np.random.Generator, v: dict[str, object]) -> None:
    marks = ["\u200f", "\u200e", "\u200c", "\u200d"]
    _arabic_each(v, lambda s: s[:1] + marks[int(rng.integers(4))] + s[1:] + "\u200f")


def _bin(rng: np.random.Generator, v: dict[str, object]) -> None:
    word = "بن " if rng.random() < 0.5 else "ابن "
    v["father_name_ar"] = word + _text(v, "father_name_ar")
    v["grandfather_name_ar"] = word + _text(v, "grandfather_name_ar")
    if v["father_name_en"]:
        v["father_name_en"] = "bin " + _text(v, "father_name_en")


def _diacritics(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: s[:1] + "\u064e" + s[1:2] + "ـ" + s[2:] + "\u064f")


def _abd_spacing(rng: np.random.Generator, v: dict[str, object]) -> None:
    _arabic_each(v, lambda s: s.replace("عبدال", "عبد ال"))


def _article_dropped(rng: np.random.Generator, v: dict[str, object]) -> None:
    v["family_name_ar"] = re.sub("^ال", "", _text(v, "family_name_ar"))
    v["family_name_en"] = re.sub(r"^(Al|Az|As|Ar|Ash|At|Ad|An)[ -]", "", _text(v, "family_name_en"))


def _tribe_respelled(rng: np.random.Generator, v: dict[str, object]) -> None:
    options = _TRIBE_LATIN[_text(v, "family_name_ar")]
    others = [o for o in options if o != v["family_name_en"]]
    v["family_name_en"] = others[int(rng.integers(len(others)))]
    v["family_name_ar"] = None  # the clerk typed the tribe in Latin only


def _tribe_joined(rng: np.random.Generator, v: dict[str, object]) -> None:
    latin = _text(v, "family_name_en")
    v["family_name_en"] = re.sub(r"^Al[ -]([A-Z])", lambda m: "A" + m[1].lower() + m[1].lower(), latin)
    v["family_name_ar"] = None


def _tribe_persian(rng: np.random.Generator, v: dict[str, object]) -> None:
    v["family_name_ar"] = _text(v, "family_name_ar").replace("ي", "ی").replace("ك", "ک")


def _swap_day_month(rng: np.random.Generator, v: dict[str, object]) -> None:
    born = v["birth_date"]
    assert isinstance(born, date)
    v["birth_date"] = born.replace(month=born.day, day=born.month)


def _year_off(rng: np.random.Generator, v: dict[str, object]) -> None:
    born = v["birth_date"]
    assert isinstance(born, date)
    v["birth_date"] = born.replace(year=born.year + (1 if rng.random() < 0.5 else -1))


def _day_off(rng: np.random.Generator, v: dict[str, object]) -> None:
    born = v["birth_date"]
    assert isinstance(born, date)
    v["birth_date"] = born + timedelta(days=1 if rng.random() < 0.5 else -1)


def _month_typo(rng: np.random.Generator, v: dict[str, object]) -> None:
    born = v["birth_date"]
    assert isinstance(born, date)
    months = [m for m in range(1, 13) if m != born.month and born.day <= 28]
    v["birth_date"] = born.replace(month=months[int(rng.integers(len(months)))])


def _no_middle(rng: np.random.Generator, v: dict[str, object]) -> None:
    for part in ("father_name", "grandfather_name"):
        v[f"{part}_ar"] = v[f"{part}_en"] = None


def _no_grandfather(rng: np.random.Generator, v: dict[str, object]) -> None:
    v["grandfather_name_ar"] = v["grandfather_name_en"] = None


def _swap_middle(rng: np.random.Generator, v: dict[str, object]) -> None:
    for script in ("ar", "en"):
        v[f"father_name_{script}"], v[f"grandfather_name_{script}"] = (
            v[f"grandfather_name_{script}"],
            v[f"father_name_{script}"],
        )


def _other_latin(rng: np.random.Generator, v: dict[str, object], part: str) -> None:
    options = _LATIN.get(_text(v, f"{part}_ar"), ())
    others = [o for o in options if o != v[f"{part}_en"]]
    if others:
        v[f"{part}_en"] = others[int(rng.integers(len(others)))]


def _latin_retyped(rng: np.random.Generator, v: dict[str, object]) -> None:
    for part in PARTS:
        _other_latin(rng, v, part)
        v[f"{part}_ar"] = None


def _latin_only(rng: np.random.Generator, v: dict[str, object]) -> None:
    for part in PARTS:
        v[f"{part}_ar"] = None


def _arabic_only(rng: np.random.Generator, v: dict[str, object]) -> None:
    for part in PARTS:
        v[f"{part}_en"] = None


def _given_latin(rng: np.random.Generator, v: dict[str, object]) -> None:
    _other_latin(rng, v, "given_name")


def _latin_case(rng: np.random.Generator, v: dict[str, object]) -> None:
    for part in PARTS:
        if v[f"{part}_en"]:
            v[f"{part}_en"] = "  " + _text(v, f"{part}_en").upper().replace(" ", "-") + " "


def _civil_slip(rng: np.random.Generator, v: dict[str, object]) -> None:
    digits = list(str(v["civil_number"]))
    at = int(rng.integers(1, 7))  # not the last: that would be a neighbour's number
    digits[at] = str((int(digits[at]) + int(rng.integers(1, 9))) % 10)
    v["civil_number"] = "".join(digits)


def _civil_transposed(rng: np.random.Generator, v: dict[str, object]) -> None:
    digits = list(str(v["civil_number"]))
    at = int(rng.integers(1, 6))
    digits[at], digits[at + 1] = digits[at + 1], digits[at]
    v["civil_number"] = "".join(digits)


def _two_at_once(rng: np.random.Generator, v: dict[str, object]) -> None:
    _persian(rng, v)
    _day_off(rng, v)
    _no_grandfather(rng, v)


def _translit_and_date(rng: np.random.Generator, v: dict[str, object]) -> None:
    _latin_only(rng, v)
    _swap_day_month(rng, v)


_HAMZA = pl.any_horizontal(pl.col(f"{p}_ar").str.ends_with("اء") for p in ("given_name", "father_name"))
_ALEF = pl.any_horizontal(pl.col(f"{p}_ar").str.contains("[أإ]") for p in PARTS)
_TA = pl.any_horizontal(pl.col(f"{p}_ar").str.ends_with("ة") for p in ("given_name",))
_MAQSURA = pl.any_horizontal(pl.col(f"{p}_ar").str.ends_with("ى") for p in PARTS)
_ABD = pl.any_horizontal(pl.col(f"{p}_ar").str.contains("عبدال") for p in PARTS)
_DAY_MONTH = (pl.col("birth_date").dt.day() <= 12) & (pl.col("birth_date").dt.day() != pl.col("birth_date").dt.month())
_AL = pl.col("family_name_en").str.starts_with("Al ")
_DIFFERENT_MIDDLE = pl.col("father_name_ar") != pl.col("grandfather_name_ar")
_SHORT_DAY = pl.col("birth_date").dt.day() <= 28

KINDS: dict[str, Variation] = {
    "final_hamza_dropped": Variation(_final_hamza, _HAMZA),
    "alef_hamza_dropped": Variation(_alef_hamza, _ALEF),
    "ta_marbuta_as_ha": Variation(_ta_marbuta, _TA),
    "alef_maqsura_as_ya": Variation(_alef_maqsura, _MAQSURA),
    "persian_letters": Variation(_persian),
    "invisible_marks": Variation(_invisible),
    "bin_inserted": Variation(_bin),
    "diacritics_tatweel": Variation(_diacritics),
    "abd_spacing": Variation(_abd_spacing, _ABD),
    "tribe_article_dropped": Variation(_article_dropped, _AL),
    "tribe_respelled_latin": Variation(_tribe_respelled),
    "tribe_assimilated_joined": Variation(_tribe_joined, _AL),
    "tribe_persian_ya": Variation(_tribe_persian),
    "day_month_swapped": Variation(_swap_day_month, _DAY_MONTH),
    "year_off_by_one": Variation(_year_off, _SHORT_DAY),
    "day_off_by_one": Variation(_day_off),
    "month_mistyped": Variation(_month_typo, _SHORT_DAY),
    "middle_names_missing": Variation(_no_middle),
    "grandfather_missing": Variation(_no_grandfather),
    "father_grandfather_swapped": Variation(_swap_middle, _DIFFERENT_MIDDLE),
    "all_parts_retyped_latin": Variation(_latin_retyped),
    "latin_only_vs_arabic": Variation(_latin_only),
    "arabic_only": Variation(_arabic_only),
    "given_name_other_latin": Variation(_given_latin),
    "latin_case_and_hyphens": Variation(_latin_case),
    "civil_number_slip": Variation(_civil_slip, keeps_number=True),
    "civil_number_transposed": Variation(_civil_transposed, keeps_number=True),
    "persian_day_off_no_grandfather": Variation(_two_at_once),
    "latin_only_day_month_swapped": Variation(_translit_and_date, _DAY_MONTH),
}
