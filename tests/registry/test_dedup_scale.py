"""What duplicate detection needs at national scale: term frequencies (a rare shared name is
stronger evidence than a common one), blocks that are split instead of exploding, and a model
whose training does not mistake namesakes for one person."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from himaya.registry.blocking import candidate_pairs
from himaya.registry.compare import prepare
from himaya.registry.dedup import dedup
from himaya.registry.fellegi_sunter import PRIORS, Model, Training, estimate, match_share
from himaya.registry.normalize import arabic
from tests.registry.groundtruth import build

_LATIN = {"محمد": "Mohammed", "مهلب": "Muhallab", "علي": "Ali", "سالم": "Salim", "البلوشي": "Al Balushi"}


def _person(number: int, given: str, father: str | None, grandfather: str | None, **other: object) -> dict[str, object]:
    names = {"given_name": given, "father_name": father, "grandfather_name": grandfather, "family_name": "البلوشي"}
    row: dict[str, object] = {"key": number, "civil_number": str(number), "sex": "M", "mobile": None, "iban": None}
    row["birth_date"] = other.get("birth_date", date(1980, 5, 5))
    for part, written in names.items():
        row[f"{part}_ar"] = written
        row[f"{part}_en"] = _LATIN.get(written) if written else None
    return row


def _registry(rows: list[dict[str, object]]) -> pl.DataFrame:
    """The rows among 5,000 others (the model learns its weights and frequencies from them)."""
    people, _ = build(5_000, per_kind=4, seed=3, twins=0)
    added = pl.DataFrame(rows).with_columns(pl.col("key") + people.height).select(people.columns)
    return pl.concat([people, added.cast(people.schema)])  # type: ignore[arg-type]


def _pair(pairs: pl.DataFrame, a: int, b: int) -> dict[str, object]:
    found = pairs.filter(
        pl.col("civil_number_a").is_in([str(a), str(b)]) & pl.col("civil_number_b").is_in([str(a), str(b)])
    )
    assert found.height == 1, found
    return found.row(0, named=True)


def test_a_rare_shared_name_outweighs_a_common_one() -> None:
    common = [_person(n, "محمد", "علي", "سالم") for n in (31_111_111, 52_222_222)]
    rare = [_person(n, "مهلب", "علي", "سالم") for n in (63_333_333, 84_444_444)]
    people = _registry(common + rare)
    result = dedup(people)
    strong, weak = _pair(result.pairs, 63_333_333, 84_444_444), _pair(result.pairs, 31_111_111, 52_222_222)
    men = prepare(people).frame.filter(pl.col("sex") == "M")

    def frequency(number: int) -> float:
        return float(men.filter(pl.col("civil_number") == str(number))["given_name_frequency"].item())

    # The frequency is the registry's own, among the men (pairs are always of one sex).
    mohammeds = people.filter(pl.col("sex") == "M", arabic(pl.col("given_name_ar")) == "محمد").height
    assert frequency(31_111_111) == pytest.approx(mohammeds / men.height)
    assert frequency(31_111_111) > 0.05
    assert frequency(63_333_333) == pytest.approx(2 / men.height)
    gain = float(strong["match_weight"]) - float(weak["match_weight"])  # type: ignore[arg-type]
    assert gain == pytest.approx(np.log2(frequency(31_111_111) / frequency(63_333_333)), abs=0.01)
    assert gain > 4
    assert float(strong["score"]) >= float(weak["score"])  # type: ignore[arg-type]


def _model() -> Model:
    m = {name: np.where(np.asarray(levels) == "missing", 1.0, prior) for name, (levels, prior) in PRIORS.items()}
    u = {name: np.full(len(levels), 1.0 / len(levels)) for name, (levels, _) in PRIORS.items()}
    u["birth_date"] = np.array([1.0, 1e-4, 1e-5, 3e-4, 1e-4, 2e-3, 0.1, 0.8976])
    return Model(match_share=1e-6, m=m, u=u)


def _exact(size: int) -> dict[str, np.ndarray]:
    levels = {name: np.ones(size, dtype=np.int8) for name in PRIORS}
    levels |= {"name_order": np.zeros(size, dtype=np.int8), "civil_number": np.zeros(size, dtype=np.int8)}
    return levels


def test_a_heaped_birth_date_is_weaker_evidence_and_a_rare_one_no_stronger() -> None:
    model = _model()
    exact_u = model.u["birth_date"][1]
    frequencies = {"birth_date": np.array([exact_u, 64 * exact_u, exact_u / 64])}
    weight = model.match_weight(_exact(3), frequencies)
    assert weight[0] - weight[1] == pytest.approx(6.0)  # 1 January for 64 times as many: 6 bits less
    assert weight[2] == pytest.approx(weight[0])  # a date few share: its count is mostly the pair itself


def _session(fields: dict[str, list[int]], sizes: list[int]) -> dict[str, np.ndarray]:
    """Levels of pairs in groups: `fields` gives each comparison's level per group."""
    levels = _exact(sum(sizes))
    for name, per_group in fields.items():
        levels[name] = np.repeat(np.asarray(per_group, dtype=np.int8), sizes)
    return levels


def test_the_prior_counts_the_matches_not_the_namesakes() -> None:
    """Of 10,000 pairs with the same given name, tribe and birth date, 9,000 are namesakes (their
    middle names differ): the prior comes from the EM's 1,000, not from all 10,000 (splink's count)."""
    u = {name: np.full(len(levels), 0.5 / (len(levels) - 1)) for name, (levels, _) in PRIORS.items()}
    for name in ("given_name", "father_name", "grandfather_name", "family_name"):
        u[name] = np.array([1.0, 0.05, 0.01, 0.01, 0.01, 0.92])
    levels = _session(
        {"father_name": [1, 5], "grandfather_name": [1, 5], "mobile": [0, 0], "iban": [0, 0]}, [1_000, 9_000]
    )
    all_pairs = 10**9
    model = estimate({"given+family+birth_date": Training(levels, 10_000)}, u, all_pairs=all_pairs)
    assert 0.8 < model.match_share / match_share(1_000, all_pairs) < 1.25
    assert model.match_share < match_share(10_000, all_pairs) / 5


def _crowd() -> list[dict[str, object]]:
    """60 men named Mohammed of one tribe born on one day, with many middle names."""
    rng = np.random.default_rng(7)
    middles = ["علي", "سالم", "سعيد", "خالد", "حمد", "سيف", "ناصر", "راشد", "هلال", "بدر", "فهد", "ماجد"]
    numbers = rng.choice(np.arange(10_000_000, 99_999_999, 1_013), 64, replace=False)
    rows = [
        _person(
            int(numbers[k]), "محمد", str(rng.choice(middles)), str(rng.choice(middles)), birth_date=date(1975, 1, 1)
        )
        for k in range(60)
    ]
    rows.append(_person(int(numbers[60]), "محمد", "عمر", "يونس", birth_date=date(1975, 1, 1)))
    rows.append(_person(int(numbers[61]), "محمد", "عمر", None, birth_date=date(1975, 1, 1)))  # grandfather missing
    rows.append(_person(int(numbers[62]), "محمد", "يونس", "عمر", birth_date=date(1975, 1, 1)))  # swapped
    rows.append(_person(int(numbers[63]), "محمد", None, None, birth_date=date(1975, 1, 1)))  # no middle names
    return rows


def test_an_oversized_block_is_split_and_the_pairs_still_found() -> None:
    rows = _crowd()
    frame = prepare(pl.DataFrame(rows)).frame
    whole = candidate_pairs(frame, split_block=1_000)
    split = candidate_pairs(frame, split_block=8)
    block = len(rows) * (len(rows) - 1) // 2
    assert whole.comparisons == block and whole.split_blocks == 0
    assert split.split_blocks >= 3  # the three rules on common values: tribe, given name, birth date
    assert split.comparisons < block * 0.7
    compared = set(zip(split.left.tolist(), split.right.tolist(), strict=True))
    original, no_grandfather, swapped, unknown = 60, 61, 62, 63
    assert (original, no_grandfather) in compared
    assert (original, swapped) in compared
    assert all((min(k, unknown), max(k, unknown)) in compared for k in range(len(rows)) if k != unknown)


def test_the_block_limit_skips_and_counts() -> None:
    frame = prepare(pl.DataFrame(_crowd())).frame
    limited = candidate_pairs(frame, split_block=8, max_block=4)
    assert limited.skipped_blocks > 0 and limited.skipped_pairs > 0
    assert limited.comparisons < candidate_pairs(frame, split_block=8).comparisons


def test_the_em_weighs_the_fixed_values_frequencies() -> None:
    """Pairs agreeing on given name, tribe and birth date with nothing else known (middle names,
    contacts missing) are counted as matches more readily when the values they agree on are rare:
    the term frequencies of the fixed fields are in the EM."""
    u = {name: np.full(len(levels), 0.5 / (len(levels) - 1)) for name, (levels, _) in PRIORS.items()}
    for name in ("given_name", "father_name", "grandfather_name", "family_name"):
        u[name] = np.array([1.0, 0.05, 0.01, 0.01, 0.01, 0.92])
    fields = {"father_name": [1, 0, 5], "grandfather_name": [1, 0, 5], "mobile": [0, 0, 0], "iban": [0, 0, 0]}
    levels = _session(fields, [1_000, 1_000, 8_000])

    def matches(times_u: float) -> float:
        frequencies = {name: np.full(10_000, 0.05 * times_u) for name in ("given_name", "family_name")}
        training = Training(levels, 10_000, frequencies)
        return estimate({"given+family+birth_date": training}, u, all_pairs=10**9).match_share

    assert matches(4.0) < matches(1.0) < matches(0.25)
    assert matches(1.0) / match_share(1_000, 10**9) > 1.0  # some of the unknown middle names count
