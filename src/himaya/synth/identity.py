"""Civil numbers, names, places, phones and bank accounts of the synthetic population."""

from __future__ import annotations

import numpy as np
import polars as pl

from himaya.synth.assumptions import Assumptions
from himaya.synth.population import CHILD, People
from himaya.synth.reference import NameList, Names, banks, names, places

CIVIL_LOW, CIVIL_HIGH = 10_000_000, 100_000_000  # 8 digits, no leading zero


def civil_numbers(rng: np.random.Generator, n: int, low: int = CIVIL_LOW, high: int = CIVIL_HIGH) -> np.ndarray:
    """`n` distinct civil numbers in [low, high) (8 digits by default), in random order (deterministic for a seed)."""
    numbers = np.empty(0, dtype=np.int64)
    while numbers.size < n:
        draws = np.concatenate([numbers, rng.integers(low, high, size=n - numbers.size + n // 50 + 10)])
        _, first = np.unique(draws, return_index=True)
        numbers = draws[np.sort(first)]
    return numbers[:n]


def iban_check_digits(bank_code: np.ndarray, account: np.ndarray) -> np.ndarray:
    """ISO 13616 check digits for OM + bank (3 digits) + account (16 digits), vectorised.

    The IBAN is valid when (BBAN + "OM" as 2422 + check) mod 97 == 1; computing the remainder of
    BBAN + "242200" in two int64-safe steps gives the check as 98 - remainder.
    """
    remainder = (bank_code % 97) * (10**16 % 97) % 97
    remainder = (remainder + account % 97) % 97
    remainder = (remainder * (10**6 % 97) + 242200) % 97
    return 98 - remainder


def _text(values: tuple[str, ...], index: np.ndarray) -> pl.Series:
    """values[index], with index -1 meaning empty."""
    table = pl.Series([*values, None], dtype=pl.String)
    return table.gather(np.where(index < 0, len(values), index))


def _draw(rng: np.random.Generator, size: int, options: int) -> np.ndarray:
    return rng.integers(0, options, size=size)


def name_indices(rng: np.random.Generator, people: People, listing: Names) -> dict[str, np.ndarray]:
    """Indices into the name lists: given (by sex), father's, grandfather's and tribal name.

    A child takes the father's given name as father's name and the father's father's as
    grandfather's, and his tribe, when the father heads the family; a wife keeps her own names.
    """
    n = len(people)
    female = people.female
    given = np.where(female, _draw(rng, n, len(listing.female.latin)), _draw(rng, n, len(listing.male.latin)))
    father = _draw(rng, n, len(listing.male.latin))
    grandfather = _draw(rng, n, len(listing.male.latin))
    tribe = _draw(rng, n, len(listing.tribes.latin))
    child = people.relationship == CHILD
    head = people.head
    father_heads = child & ~female[head] & (people.parent >= 0)  # the family is headed by a man: the father
    father[father_heads] = given[head[father_heads]]
    grandfather[father_heads] = father[head[father_heads]]
    tribe[father_heads] = tribe[head[father_heads]]
    # A widowed mother's children carry their late father's tribe; we do not know it: keep a draw.
    return {"given": given, "father": father, "grandfather": grandfather, "tribe": tribe}


def _words(lists: list[NameList], script: str) -> tuple[str, ...]:
    return tuple(w for x in lists for w in (x.arabic if script == "ar" else x.latin))


def name_columns(
    rng: np.random.Generator,
    people: People,
    countries: np.ndarray,
    country_codes: tuple[str, ...],
    listing: Names | None = None,
) -> dict[str, pl.Series]:
    """Names in Arabic and Latin (from `listing`, Oman's by default); expatriates (of `country_codes`)
    have a given and a family name only.

    Every list is laid end to end in one table per kind (given names, family names), so that
    each column is one gather over the whole population.
    """
    listing = listing or names()
    index = name_indices(rng, people, listing)
    given_lists: list[NameList] = [listing.male, listing.female]
    family_lists: list[NameList] = [listing.tribes]
    for code in country_codes:
        lists = listing.expatriates[code]
        given_lists += [lists["male"], lists["female"]]
        family_lists.append(lists["family"])
    given_start = np.cumsum([0] + [len(x.latin) for x in given_lists])
    family_start = np.cumsum([0] + [len(x.latin) for x in family_lists])

    omani, female = people.omani, people.female
    given = np.where(female, given_start[1] + index["given"], index["given"])
    family = index["tribe"].copy()
    for position, code in enumerate(country_codes):
        members = np.flatnonzero(~omani & (countries == position))
        lists = listing.expatriates[code]
        her = female[members]
        first = np.where(
            her,
            given_start[3 + 2 * position] + _draw(rng, members.size, len(lists["female"].latin)),
            given_start[2 + 2 * position] + _draw(rng, members.size, len(lists["male"].latin)),
        )
        given[members] = first
        family[members] = family_start[1 + position] + _draw(rng, members.size, len(lists["family"].latin))
    father = np.where(omani, index["father"], -1)
    grandfather = np.where(omani, index["grandfather"], -1)

    columns: dict[str, pl.Series] = {}
    for script in ("ar", "en"):
        columns[f"given_name_{script}"] = _text(_words(given_lists, script), given)
        columns[f"father_name_{script}"] = _text(_words([listing.male], script), father)
        columns[f"grandfather_name_{script}"] = _text(_words([listing.male], script), grandfather)
        columns[f"family_name_{script}"] = _text(_words(family_lists, script), family)
    return columns


def place_of_family(rng: np.random.Generator, people: People, governorate: str | None) -> np.ndarray:
    """A wilayat index per person: drawn for each family head, shared by the family."""
    geography = places()
    omani_w, expat_w = geography.omani_weight.copy(), geography.expatriate_weight.copy()
    if governorate is not None:
        outside = np.array([g != governorate for g in geography.governorate_en])
        omani_w[outside] = 0
        expat_w[outside] = 0
    n = len(people)
    omani_place = rng.choice(omani_w.size, size=n, p=omani_w / omani_w.sum())
    expat_place = rng.choice(expat_w.size, size=n, p=expat_w / expat_w.sum())
    own = np.where(people.omani, omani_place, expat_place)
    return own[people.head]


def contact_columns(rng: np.random.Generator, people: People, assumptions: Assumptions) -> dict[str, pl.Series]:
    """Mobile number, bank code and IBAN (with valid check digits)."""
    n = len(people)
    adult = people.age >= 18
    mobile = adult & (rng.random(n) < assumptions.adults_with_mobile)
    subscriber = rng.choice(np.array([7, 9]), size=n) * 10_000_000 + rng.integers(0, 10_000_000, size=n)
    listing = banks()
    has_account = np.where(
        adult,
        rng.random(n) < assumptions.adults_with_bank_account,
        rng.random(n) < assumptions.children_with_bank_account,
    )
    bank = rng.choice(len(listing.codes), size=n, p=listing.share)
    bank_code = np.array([int(c) for c in listing.codes])[bank]
    account = rng.integers(0, 10**16, size=n, dtype=np.int64)
    check = iban_check_digits(bank_code, account)
    frame = pl.DataFrame({"mobile": subscriber, "bank": bank_code, "check": check, "account": account})
    columns = frame.select(
        pl.when(pl.Series(mobile)).then(pl.format("+968{}", pl.col("mobile"))).alias("mobile"),
        pl.when(pl.Series(has_account)).then(pl.col("bank").cast(pl.String).str.zfill(3)).alias("bank_code"),
        pl.when(pl.Series(has_account))
        .then(
            pl.concat_str(
                pl.lit("OM"),
                pl.col("check").cast(pl.String).str.zfill(2),
                pl.col("bank").cast(pl.String).str.zfill(3),
                pl.col("account").cast(pl.String).str.zfill(16),
            )
        )
        .alias("iban"),
    )
    return {name: columns[name] for name in columns.columns}


def is_valid_iban(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    if len(iban) < 5 or not iban[:2].isalpha() or not iban[2:].isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1
