"""Search by name, civil number or phone: the tokens a person's names are indexed by, and the
terms a query becomes.

The same normalisation (`normalize.py`, shared with duplicate detection) turns both sides into one
spelling: ta marbuta and ha, the alef and hamza forms, final ya and alef maqsura, diacritics,
tatweel, Persian letters and invisible marks fold; "عبد ال" is written together; the connectors
("بن", "بنت", "ابن", "bin", "ibn"...) and the article standing alone ("ال", "آل", "al", "el"...) go,
and the article is taken off the front of a word ("الشبلي" and "شبلي" are one token; "Al-Shibli",
"Al Shibli" and "Shibli" too). Each word of each name part is a token; a query word matches a
person when it is the beginning of one of their tokens (so "خديج" finds "خديجة"), and every query
word must match (in any order).

Latin transliteration: a Latin query word also matches the consonant skeleton of an Arabic name
part that has no Latin spelling on record (`#` and the skeleton: "Khadija" and "خديجة" are both
"#xdj"), so that a person registered in Arabic only is found by a Latin spelling; Latin names,
where the record has them, are tokens themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from himaya.registry import query_forms
from himaya.registry.normalize import INVISIBLE, arabic, latin, skeleton_arabic

NAME_PARTS = ("given_name", "father_name", "grandfather_name", "family_name")
SKELETON = "#"  # the mark of a skeleton token (never the first character of a normalised word)
KEY_SPAN = 1 << 40  # row ids below this share one 64-bit sort key with their token's rank (`name_tokens`)
MAX_TOKEN = 64  # characters: longer words are cut (the index column's width)
# Words that are not names: connectors and the article written apart (after folding: آل is ال).
STOP = frozenset({"ال", "بن", "ابن", "بنت", "al", "el", "as", "at", "az", "ash", "an", "ad", "ar", "bin", "bint"})
STOP |= frozenset({"binti", "ibn", "ben"})
_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
_LATIN_SPLIT = r"[\s\-'`’.,]+"
_DIGITS_ONLY = re.compile(r"^\+?[0-9 ()\-]{4,24}$")


@dataclass(frozen=True)
class Term:
    """One way a query word matches a token: as its beginning (`prefix`), or exactly."""

    value: str
    prefix: bool


def _arabic_words(names: pl.Expr) -> pl.Expr:
    """A list of normalised Arabic words, the article off each (ال followed by two letters or more)."""
    words = arabic(names).str.split(" ")
    return words.list.eval(pl.element().str.replace(r"^ال(\S\S)", "$1"))


def _latin_word(word: pl.Expr) -> pl.Expr:
    """One Latin word normalised: lower case, the joined article off ("alshibli", "ash-shibli" apart
    are handled by the split), `latin()`'s folds, and a final -ah/-eh as -a (Khadijah, Khadija)."""
    text = word.str.to_lowercase().str.replace_all(INVISIBLE, "").str.replace_all(r"[^a-z]", "")
    text = pl.when(text.str.len_chars() >= 6).then(text.str.replace(r"^(al|el)", "")).otherwise(text)
    return latin(text).str.replace(r"[ae]h$", "a")


def _latin_words(names: pl.Expr) -> pl.Expr:
    return names.str.replace_all(_LATIN_SPLIT, " ").str.strip_chars().str.split(" ")


def _vocabulary(values: pl.DataFrame, script: str) -> pl.DataFrame:
    """Each distinct name (`v`) with its tokens (`token`): the folds run once per distinct name, not
    once per person (a registry of millions has a few thousand distinct names)."""
    lazy = values.lazy()
    if script == "ar":
        words = lazy.select(pl.col("v"), _arabic_words(pl.col("v")).alias("w")).explode("w")
        skeleton = pl.lit(SKELETON) + skeleton_arabic(pl.col("w"))
        tokens = pl.concat(
            [
                words.select(pl.col("v"), pl.col("w").alias("token"), pl.lit(False).alias("skeleton")),
                words.filter(~pl.col("w").is_in(list(STOP))).select(
                    pl.col("v"), skeleton.alias("token"), pl.lit(True).alias("skeleton")
                ),
            ]
        )
    else:
        words = lazy.select(pl.col("v"), _latin_words(pl.col("v")).alias("w")).explode("w")
        tokens = words.select(pl.col("v"), _latin_word(pl.col("w")).alias("token"), pl.lit(False).alias("skeleton"))
    return tokens.collect()


def name_tokens(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """The search tokens of each row's names: a frame (`key`, `token`), one row per distinct token of
    a person, from the name columns `frame` has (`given_name_ar` ... `family_name_en`)."""
    pieces: list[pl.DataFrame] = []
    for part in NAME_PARTS:
        for script in ("ar", "en"):
            column = f"{part}_{script}"
            if column not in frame.columns:
                continue
            # A skeleton only for a name part without its Latin spelling: where there is one, a Latin
            # query finds it, and the looser skeleton would only add namesakes.
            latin = f"{part}_en"
            spelt = pl.col(latin).is_not_null() if latin in frame.columns and script == "ar" else pl.lit(False)
            names = frame.select(pl.col(key), pl.col(column).alias("v"), spelt.alias("spelt")).drop_nulls("v")
            vocabulary = _vocabulary(names.select("v").unique(), script)
            joined = names.join(vocabulary, on="v").filter(~(pl.col("skeleton") & pl.col("spelt")))
            pieces.append(joined.select(key, "token"))
    if not pieces:
        return pl.DataFrame(schema={key: frame.schema[key], "token": pl.String})
    tokens = pl.concat(pieces).filter(
        pl.col("token").is_not_null() & (pl.col("token").str.len_chars() > 0) & ~pl.col("token").is_in(list(STOP))
    )
    tokens = tokens.filter(pl.col("token") != SKELETON).with_columns(pl.col("token").str.slice(0, MAX_TOKEN))
    # In the order of the index they go into (token, then key). A registry has millions of tokens but
    # a few thousand distinct ones: each is numbered in its order once, and the rows are made unique
    # and sorted by that number, which is several times faster than comparing the texts.
    vocabulary = tokens.select(pl.col("token").unique().sort()).with_row_index("rank")
    ranked = tokens.join(vocabulary, on="token").select("rank", key)
    ids = ranked.get_column(key)
    if ids.dtype == pl.Int64 and ranked.height and ids.min() >= 0 and ids.max() < KEY_SPAN:  # type: ignore[operator]
        # A row id key: rank and key in one integer (rank in the high bits), one radix sort.
        wide = ranked.select((pl.col("rank").cast(pl.UInt64) * KEY_SPAN + pl.col(key).cast(pl.UInt64)).alias("k"))
        ordered = wide.get_column("k").unique().sort()
        ranked = pl.DataFrame({"rank": (ordered // KEY_SPAN).cast(pl.UInt32), key: (ordered % KEY_SPAN).cast(pl.Int64)})
    else:
        ranked = ranked.unique().sort("rank", key)
    return ranked.select(key, vocabulary.get_column("token").gather(ranked.get_column("rank")).alias("token"))


def name_terms(query: str) -> tuple[tuple[Term, ...], ...]:
    """The query's words, each as the terms that may match it (every word must match some token);
    empty when the query has no word that names (only connectors or articles); each word once.

    A query is a few words: they are normalised here in plain Python (`query_forms.py`), the same
    folds as the tokens' Polars expressions (a test holds the two together), at a fraction of the
    cost of running those expressions on one row."""
    if _ARABIC_LETTER.search(query):
        arabic_part = re.sub(r"[A-Za-z]+", " ", query)
        latin_part = re.sub(r"[\u0600-\u06FF]+", " ", query)
    else:
        arabic_part, latin_part = "", query
    words: list[tuple[Term, ...]] = []
    for word in query_forms.arabic_words(arabic_part):
        if word and word not in STOP:
            words.append((Term(word[:MAX_TOKEN], True),))
    for raw in re.split(_LATIN_SPLIT, latin_part.strip()):
        folded = query_forms.latin_word(raw) if raw else None
        if folded and folded not in STOP:
            skeleton = query_forms.skeleton_latin(folded)
            terms = [Term(folded[:MAX_TOKEN], True)]
            if skeleton:
                terms.append(Term(SKELETON + skeleton, False))
            words.append(tuple(terms))
    return tuple(dict.fromkeys(words))  # a repeated word asks nothing more, and would cost as much again


# Digits as an Arabic keyboard types them (٠-٩), as a Persian or Urdu one does (۰-۹), and full-width
# ones (０-９): the same number as its ASCII digits.
_DIGITS = str.maketrans({chr(first + d): str(d) for first in (0x0660, 0x06F0, 0xFF10) for d in range(10)})


def ascii_digits(text: str) -> str:
    """`text` with every Arabic-Indic, Eastern Arabic-Indic or full-width digit as its ASCII digit."""
    return text.translate(_DIGITS)


def numeric(query: str) -> str | None:
    """The digits of a query that is a number (a civil number or a phone number, written with
    spaces, dashes, brackets or a leading +; in ASCII, Arabic-Indic or full-width digits), or None."""
    query = ascii_digits(query)
    if not _DIGITS_ONLY.match(query.strip()):
        return None
    return re.sub(r"[^0-9]", "", query)


def phone_forms(number: str, dialling_code: str) -> tuple[str, ...]:
    """The international forms (+CC then the number) a phone number typed with or without its
    country code (968..., 00968..., +968...) may be stored as."""
    digits = re.sub(r"[^0-9]", "", number)
    if digits.startswith("00"):
        digits = digits[2:]
    forms = {f"+{digits}"}
    if dialling_code:
        if digits.startswith(dialling_code) and len(digits) > len(dialling_code) + 6:
            forms.add(f"+{digits}")
        else:
            forms.add(f"+{dialling_code}{digits.lstrip('0')}")
    return tuple(sorted(forms))


def successor(prefix: str) -> str:
    """The smallest string greater than every string beginning with `prefix` (in code point order),
    so that `prefix <= token < successor(prefix)` is an index range."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
