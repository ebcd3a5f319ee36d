"""`--duplicates RATE`: the same person registered twice, as real registries see it.

Each duplicate is a second registration of an Omani in the table, heading a family of its own,
with the variations clerks and systems introduce: alef and hamza forms, ta marbuta written as ha,
alef maqsura as ya, "Abd al-" written apart or together, another Latin transliteration, a
one-digit slip in the civil number, a birth date one day off. The ground truth lists every pair.
"""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import polars as pl

from himaya.synth.identity import CIVIL_HIGH, CIVIL_LOW
from himaya.synth.reference import names

NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name")


def _alef(text: str) -> str | None:
    changed = re.sub("[أإآ]", "ا", text)
    if changed != text:
        return changed
    changed = re.sub(r"(^|\s)ا", r"\1أ", text, count=1)
    return changed if changed != text else None


def _ta_marbuta(text: str) -> str | None:
    changed = re.sub(r"ة(\s|$)", r"ه\1", text)
    return changed if changed != text else None


def _alef_maqsura(text: str) -> str | None:
    changed = re.sub(r"ى(\s|$)", r"ي\1", text)
    return changed if changed != text else None


def _abd_spacing(text: str) -> str | None:
    if "عبد ال" in text:
        return text.replace("عبد ال", "عبدال")
    changed = text.replace("عبدال", "عبد ال")
    return changed if changed != text else None


ARABIC_VARIATIONS = {
    "alef_hamza": _alef,
    "ta_marbuta": _ta_marbuta,
    "alef_maqsura": _alef_maqsura,
    "abd_spacing": _abd_spacing,
}


def _latin_variants() -> dict[str, tuple[str, ...]]:
    listing = names()
    variants: dict[str, tuple[str, ...]] = {}
    for name_list in (listing.male, listing.female, listing.tribes):
        for latin, others in zip(name_list.latin, name_list.variants, strict=True):
            if others:
                variants[latin] = others
    return variants


def _slip(rng: np.random.Generator, number: int) -> int:
    digits = list(str(number))
    position = int(rng.integers(0, len(digits)))
    choices = [d for d in "0123456789" if d != digits[position] and not (position == 0 and d == "0")]
    digits[position] = choices[int(rng.integers(0, len(choices)))]
    return int("".join(digits))


def add_duplicates(rng: np.random.Generator, people: pl.DataFrame, rate: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The table with duplicate registrations added, and the ground truth of (original, duplicate) pairs."""
    omanis = np.flatnonzero((people["nationality"] == "OM").to_numpy())
    count = min(round(rate * people.height), omanis.size)
    chosen = np.sort(rng.choice(omanis, size=count, replace=False))
    originals = people[chosen].to_dicts()
    taken = {int(p) for p in people["person_id"].to_list()}
    latin = _latin_variants()
    families = people["family_id"].n_unique()
    duplicates, truth = [], []
    for number, record in enumerate(originals):
        copy = dict(record)
        changes: list[str] = []
        if rng.random() < 0.4:
            new_id = _slip(rng, int(record["person_id"]))
            changes.append("civil_number_slip")
        else:
            new_id = int(rng.integers(CIVIL_LOW, CIVIL_HIGH))
            changes.append("new_civil_number")
        while new_id in taken:
            new_id = int(rng.integers(CIVIL_LOW, CIVIL_HIGH))
            changes = [c for c in changes if c != "civil_number_slip"] + ["new_civil_number"]
        taken.add(new_id)
        copy["person_id"] = str(new_id)
        copy["family_id"] = f"F{families + number + 1:08d}"
        copy["relationship"] = "head"
        for kind in rng.permutation(list(ARABIC_VARIATIONS))[: int(rng.integers(1, 3))]:
            for part in NAME_PARTS:
                value = copy[f"{part}_ar"]
                changed = ARABIC_VARIATIONS[str(kind)](value) if value else None
                if changed is not None:
                    copy[f"{part}_ar"] = changed
                    changes.append(f"arabic_{kind}:{part}")
                    break
        for part in rng.permutation(list(NAME_PARTS))[: int(rng.integers(1, 3))]:
            value = copy[f"{part}_en"]
            options = latin.get(value or "", ())
            if options:
                copy[f"{part}_en"] = options[int(rng.integers(0, len(options)))]
                changes.append(f"latin_variant:{part}")
        if len(changes) == 1:  # nothing but the number changed: the tribe always has variants
            copy["family_name_en"] = latin.get(copy["family_name_en"], (copy["family_name_en"],))[0]
            changes.append("latin_variant:family_name")
        if rng.random() < 0.3:
            shift = 1 if rng.random() < 0.5 else -1
            copy["birth_date"] = record["birth_date"] + timedelta(days=shift)
            changes.append(f"birth_date{shift:+d}")
        duplicates.append(copy)
        truth.append(
            {
                "original_person_id": record["person_id"],
                "duplicate_person_id": copy["person_id"],
                "variations": ";".join(changes),
            }
        )
    added = pl.DataFrame(duplicates, schema=people.schema)
    pairs = pl.DataFrame(
        truth, schema={"original_person_id": pl.String, "duplicate_person_id": pl.String, "variations": pl.String}
    )
    return pl.concat([people, added]), pairs
