"""Finding people registered twice: blocking, comparison, a Fellegi-Sunter model, two bands.

`prepare` normalises the names (see `normalize`); `blocking` picks the pairs worth comparing;
`compare` gives each pair a level per field; `fellegi_sunter` estimates the weight of every level
from the registry itself (u from random pairs, m by EM over the candidates) and sums them into a
match probability. A pair at or above `merge_threshold` is in the band `merge`; one at or above
`threshold` is in the band `review`, a case for a person (the `duplicate_review` case type will
take this queue).

Twins: two records of the same family and birth date whose given names are written differently
in Arabic (or, with no Arabic on either side, differently in Latin) are two people far more often
than one person mistyped: such a pair is never in the band `merge`; when its given names are
close (حمد/حمود) it goes to `review` with the reason "possible twins", otherwise it is dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from himaya.registry.blocking import Blocking, agreeing_pairs, candidate_pairs
from himaya.registry.compare import (
    AR_SKELETON,
    EXACT,
    NEAR,
    PARTS,
    SKELETON,
    Prepared,
    compare,
    prepare,
)
from himaya.registry.fellegi_sunter import PRIORS, SESSIONS, Model, Training, estimate, estimate_u, probability

KEY = "key"  # a unique id of the record in the registry
BANDS = ("merge", "review")


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = 0.5  # pairs whose match probability is at or above are reported (band review)
    merge_threshold: float = 0.9  # and at or above this, in the band merge
    random_pairs: int = 1_000_000  # to estimate u
    split_block: int = 8  # blocks of the rules on common values over this are split (see blocking)
    max_block: int = 2_000
    training_pairs: int = 1_000_000  # at most, per training session (a random sample beyond)
    seed: int = 0


@dataclass(frozen=True)
class DedupResult:
    pairs: pl.DataFrame  # a, b, civil_number_a/_b, score, match_weight, band, reasons, levels
    blocking: Blocking
    model: Model
    seconds: dict[str, float]  # wall time of each stage: prepare, blocking, model, scoring


def _random_pairs(prepared: Prepared, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs of different records of the same sex (blocking always requires the sex)."""
    rng = np.random.default_rng(seed)
    lefts, rights = [], []
    groups = prepared.frame.group_by("sex").agg("i").sort("sex")["i"].to_list()  # sorted: reproducible
    total = sum(len(g) for g in groups)
    for members in groups:
        rows = np.asarray(members)
        if rows.size < 2:
            continue
        wanted = max(1, round(count * rows.size / total))
        left, right = rng.integers(0, rows.size, wanted), rng.integers(0, rows.size, wanted)
        keep = left != right
        lefts.append(rows[left[keep]])
        rights.append(rows[right[keep]])
    if not lefts:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    return np.concatenate(lefts), np.concatenate(rights)


def _levels(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    return {name: frame[name].to_numpy() for name in PRIORS}


# The blocking of a training session: its fixed comparisons' columns (skeleton keys: a superset of
# the exact agreements, which the session then selects; a contact only where known).
_TRAINING_COLUMNS = {
    "given_name": pl.col("given_name_key"),
    "father_name": pl.col("father_name_key"),
    "grandfather_name": pl.col("grandfather_name_key"),
    "family_name": pl.col("family_name_key"),
    "birth_date": pl.col("birth_date"),
    "mobile": pl.when(pl.col("mobile") > 0).then(pl.col("mobile")).alias("mobile"),
    "iban": pl.when(pl.col("iban") > 0).then(pl.col("iban")).alias("iban"),
}


def _training(prepared: Prepared, settings: DedupSettings) -> dict[str, Training]:
    sessions = {}
    for name, (fixed, _) in SESSIONS.items():
        columns = [_TRAINING_COLUMNS[field] for field in fixed]
        left, right, total = agreeing_pairs(prepared.frame, columns, limit=settings.training_pairs, seed=settings.seed)
        levels = compare(prepared, left, right)
        sessions[name] = Training(_levels(levels), total, _frequencies(prepared, levels))
    return sessions


def _frequencies(prepared: Prepared, levels: pl.DataFrame) -> dict[str, np.ndarray]:
    """The frequency of the value each pair agrees on (a name in its part, the birth date): the
    left record's."""
    left = levels["left"].to_numpy()
    return {part: prepared.frame[f"{part}_frequency"].to_numpy()[left] for part in (*PARTS, "birth_date")}


def _bands(levels: pl.DataFrame, score: pl.Expr, settings: DedupSettings) -> pl.DataFrame:
    given, family, date = pl.col("given_name"), pl.col("family_name"), pl.col("birth_date")
    # Normalisation folds every spelling of a name: given names still different in Arabic are two
    # names, so two people (brothers, twins), whatever else they share.
    ar_differs = (pl.col("given_arabic") == 1) & (given != EXACT)
    latin_differs = (pl.col("latin_only") == 1) & (given != EXACT)
    same_birth = date.is_in([1, 2, 3])  # same day, day and month swapped, or a day or two apart
    twins = (ar_differs | latin_differs) & family.is_in([EXACT, AR_SKELETON, SKELETON]) & same_birth
    close_names = given.is_in([AR_SKELETON, SKELETON, NEAR])
    far_apart = date.is_in([6, 7])  # years apart: no clerk's slip explains it, a relative might
    kept_apart = ar_differs | twins
    return (
        levels.with_columns(score.alias("score"), twins.alias("possible_twins"))
        .filter(pl.col("score") >= settings.threshold, ~kept_apart | (twins & close_names))
        .with_columns(
            pl.when((pl.col("score") >= settings.merge_threshold) & ~kept_apart & ~far_apart)
            .then(pl.lit("merge"))
            .otherwise(pl.lit("review"))
            .alias("band")
        )
    )


def _reasons() -> pl.Expr:
    parts = [pl.when(pl.col("possible_twins")).then(pl.lit("possible twins")).otherwise(None)]
    for name, (levels, _) in PRIORS.items():
        if name == "name_order":
            parts.append(pl.when(pl.col(name) == 1).then(pl.lit("father and grandfather swapped")).otherwise(None))
            continue
        shown = [(k, level) for k, level in enumerate(levels) if level not in ("missing", "differ")]
        mapping = {k: f"{name}: {level}" for k, level in shown}
        parts.append(pl.col(name).replace_strict(mapping, default=None, return_dtype=pl.String))
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def dedup(people: pl.DataFrame, settings: DedupSettings | None = None) -> DedupResult:
    """Scored pairs of records that are probably the same person, best first, with the blocking's
    figures and the estimated model."""
    chosen = settings or DedupSettings()
    clock = [time.perf_counter()]

    def lap() -> float:
        clock.append(time.perf_counter())
        return round(clock[-1] - clock[-2], 2)

    prepared = prepare(people)
    seconds = {"prepare": lap()}
    blocking = candidate_pairs(prepared.frame, split_block=chosen.split_block, max_block=chosen.max_block)
    seconds["blocking"] = lap()
    left, right = _random_pairs(prepared, chosen.random_pairs, chosen.seed)
    u = estimate_u(_levels(compare(prepared, left, right)))
    seconds["u_from_random_pairs"] = lap()
    levels = compare(prepared, blocking.left, blocking.right)
    seconds["comparison"] = lap()
    sexes = prepared.frame.group_by("sex").len()["len"].cast(pl.Int64)
    model = estimate(_training(prepared, chosen), u, all_pairs=int((sexes * (sexes - 1) // 2).sum()))
    seconds["model"] = lap()
    weight = model.match_weight(_levels(levels), _frequencies(prepared, levels)) if levels.height else np.zeros(0)
    levels = levels.with_columns(pl.Series("match_weight", weight, dtype=pl.Float64).round(3))
    score = pl.Series("p", probability(weight), dtype=pl.Float64)
    reported = _bands(levels.with_columns(score), pl.col("p").round(4), chosen).drop("p")
    keys = prepared.frame.select("key", "civil_number")
    pairs = (
        pl.concat(
            [
                keys.select(pl.all().gather(reported["left"]).name.suffix("_a")),
                keys.select(pl.all().gather(reported["right"]).name.suffix("_b")),
                reported,
            ],
            how="horizontal",
        )
        .rename({"key_a": "a", "key_b": "b"})
        .with_columns(_reasons().alias("reasons"))
        .sort(["score", "a", "b"], descending=[True, False, False])
    )
    ordered = ["a", "b", "civil_number_a", "civil_number_b", "score", "match_weight", "band", "reasons"]
    seconds["bands"] = lap()
    return DedupResult(pairs.select(*ordered, pl.exclude(ordered)), blocking, model, seconds)


def find_duplicates(people: pl.DataFrame, settings: DedupSettings | None = None) -> pl.DataFrame:
    """Scored pairs (bands merge and review), best first."""
    return dedup(people, settings).pairs


@dataclass(frozen=True)
class Quality:
    true_pairs: int
    found: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def _keyed(frame: pl.DataFrame, first: str, second: str) -> set[tuple[str, str]]:
    return {(min(x, y), max(x, y)) for x, y in frame.select(first, second).iter_rows()}


def measure(found: pl.DataFrame, truth: pl.DataFrame) -> Quality:
    """Precision and recall of the pairs in the band merge of `found` (civil_number_a/_b; every
    pair when there is no band) against a ground truth of (original_person_id, duplicate_person_id)."""
    merged = found.filter(pl.col("band") == "merge") if "band" in found.columns else found
    expected = _keyed(truth, "original_person_id", "duplicate_person_id")
    reported = _keyed(merged, "civil_number_a", "civil_number_b")
    return Quality(true_pairs=len(expected), found=len(reported), correct=len(expected & reported))
