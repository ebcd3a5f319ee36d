"""A Fellegi-Sunter model whose weights are estimated from the registry itself.

For each comparison (a name part, the birth date, ...) and each of its levels, m is the
probability of that level when the two records are the same person and u when they are two
people. As the splink library does, u is estimated from random pairs of records (almost all of
them two people), and m by expectation-maximisation with u held fixed, in training sessions: each
runs on the pairs that agree exactly on some fields and estimates the others. As in splink, a
session finds its pairs with a blocking of its own (every pair of records agreeing on its fixed
fields, or a random sample of them), not among the candidates of the prediction's blocking: those
were chosen by rules that constrain other fields (the four names and a two-year window), and an EM
over them learns that a namesake born a year later is the same person. A registry
of families is why: its candidate pairs are full of relatives (siblings, twins, a father and his
son share the father's or the family's names, a mobile, consecutive numbers), and an EM over all
of them learns "same family" instead of "same person". The prior probability of a match is
estimated as splink does, from a deterministic rule and its assumed recall, over all pairs of
records (then it does not depend on the blocking), with the EM's share of matches among the pairs
the rule holds for instead of all of them (namesakes born the same day are many in a big registry).

The EM runs on the distinct patterns of levels with their counts, so millions of pairs cost a few
thousand rows. A Dirichlet prior on m (pseudo-counts) keeps a level that the registry rarely
shows from a wild estimate and lets a small registry fall back on sensible values. A level named
"missing" has weight 0: an unknown field is no evidence either way.

A pair's match weight is log2 of the prior odds plus log2(m/u) of each of its levels (with a term
frequency for the names it agrees on), and its score (match probability) 1 / (1 + 2^-weight).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from himaya.registry.compare import CIVIL_LEVELS, CONTACT_LEVELS, DATE_LEVELS, NAME_LEVELS, ORDER_LEVELS

# Priors of m per level: what duplicate registrations look like before the data says otherwise.
# Names: missing, exact, ar_skeleton, skeleton, near, differ.
_NAME_M = (0.0, 0.86, 0.005, 0.07, 0.05, 0.015)
PRIORS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "given_name": (NAME_LEVELS, _NAME_M),
    "father_name": (NAME_LEVELS, _NAME_M),
    "grandfather_name": (NAME_LEVELS, _NAME_M),
    "family_name": (NAME_LEVELS, _NAME_M),
    "name_order": (ORDER_LEVELS, (0.97, 0.03)),
    "birth_date": (DATE_LEVELS, (0.0, 0.80, 0.04, 0.05, 0.04, 0.04, 0.02, 0.01)),
    "civil_number": (CIVIL_LEVELS, (0.86, 0.08, 0.05, 0.01)),
    "mobile": (CONTACT_LEVELS, (0.0, 0.6, 0.4)),
    "iban": (CONTACT_LEVELS, (0.0, 0.7, 0.3)),
}
_EXACT = 1
# Training sessions, as splink runs them: the EM runs on the pairs (of their own blocking) that agree
# exactly on the session's fixed fields, and estimates m of the listed comparisons only, with only
# those in its likelihood. A session must hold a fair share of matches: in a registry of millions
# with common names, the pairs agreeing on four names, or on the birth date and both middle names,
# are nearly all namesakes (at 5.2 million persons of the ground truth, 4,000 duplicates among
# 18.6 million pairs), and an EM over them finds another split than "same person" (it gave an
# exact birth date m = 0.001). So the birth date, the names and the number are estimated where
# the fixed fields are nearly always one person: the same mobile, given name and middle names (a
# family shares a mobile, but brothers and twins have different given names, and a son named like
# his father has other middle names), the same IBAN; and on the deterministic rule's pairs, whose
# namesakes the term frequencies of their values weigh down.
SESSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "given+family+birth_date": (
        ("given_name", "family_name", "birth_date"),
        ("father_name", "grandfather_name", "name_order", "civil_number", "mobile", "iban"),
    ),
    "mobile+given+father+grandfather": (
        ("mobile", "given_name", "father_name", "grandfather_name"),
        ("family_name", "birth_date", "civil_number"),
    ),
    "iban": (
        ("iban",),
        ("given_name", "father_name", "grandfather_name", "family_name", "name_order", "birth_date", "civil_number"),
    ),
}
DETERMINISTIC_RULE = ("given_name", "family_name", "birth_date")
DETERMINISTIC_RECALL = 0.6  # share of duplicates the rule catches, assumed (splink asks the same)
# Term frequencies that only weaken an agreement: a birth date is shared by few records, so its
# count is mostly the pair itself and would make an ordinary date look rare; only a heaped date
# (1 January, 1 July) is told apart, as weaker evidence.
TF_ONLY_DOWN = ("birth_date",)
PRIOR_STRENGTH = 50.0  # pseudo-pairs of the prior, per comparison
U_SMOOTHING = 0.5  # pseudo-count per level of u: a level random pairs never show is rare, not impossible


@dataclass(frozen=True)
class Model:
    """Estimated parameters: the share of matches among the candidates, m and u per comparison."""

    match_share: float
    m: Mapping[str, np.ndarray]
    u: Mapping[str, np.ndarray]

    def weights(self) -> dict[str, np.ndarray]:
        """log2(m/u) per level; 0 for a level named "missing"."""
        return {name: np.where(_missing(name), 0.0, np.log2(self.m[name] / self.u[name])) for name in PRIORS}

    def match_weight(
        self, levels: Mapping[str, np.ndarray], frequencies: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """The prior plus every comparison's weight. With `frequencies` (per comparison, of the
        value a pair agrees on), an exact agreement weighs log2(m / frequency) instead of
        log2(m / u), as splink's term-frequency adjustment does (for TF_ONLY_DOWN, never more
        than log2(m / u))."""
        prior = np.log2(self.match_share / (1 - self.match_share))
        weights = self.weights()
        total = np.full(len(np.asarray(levels["given_name"])), prior)
        for name in PRIORS:
            level = np.asarray(levels[name])
            total += weights[name][level]
            if frequencies is not None and name in frequencies:
                frequency = np.asarray(frequencies[name], dtype=np.float64)
                adjust = (level == _EXACT) & np.isfinite(frequency) & (frequency > 0)
                total[adjust] += tf_change(name, self.u[name][_EXACT], frequency[adjust])
        return total

    def describe(self) -> list[tuple[str, str, float, float, float]]:
        """(comparison, level, m, u, log2 m/u) for the documentation and the CLI."""
        weights = self.weights()
        return [
            (name, level, float(self.m[name][k]), float(self.u[name][k]), float(weights[name][k]))
            for name, (levels, _) in PRIORS.items()
            for k, level in enumerate(levels)
        ]


def tf_change(name: str, exact_u: float, frequency: np.ndarray) -> np.ndarray:
    """What an exact agreement on values of these frequencies weighs more than on an average one."""
    change = np.log2(exact_u / frequency)
    return np.minimum(change, 0.0) if name in TF_ONLY_DOWN else change


def probability(weight: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60))), dtype=np.float64)


def _missing(name: str) -> np.ndarray:
    return np.asarray(np.array(PRIORS[name][0]) == "missing", dtype=bool)


def _prior(name: str) -> np.ndarray:
    return np.where(_missing(name), 1.0, np.maximum(PRIORS[name][1], 1e-4))


def estimate_u(levels: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """u per level from the levels of random pairs."""
    result = {}
    for name, (names, _) in PRIORS.items():
        counts = np.bincount(np.asarray(levels[name]), minlength=len(names)).astype(np.float64) + U_SMOOTHING
        counts[_missing(name)] = 0.0  # u and m are both conditional on the field known on both sides
        result[name] = np.where(_missing(name), 1.0, counts / counts.sum())
    return result


def _patterns(
    levels: Mapping[str, np.ndarray], names: list[str], offset: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of levels of `names` and of the offset (in quarters of a bit), and how many
    pairs show each."""
    quarters = np.round(np.asarray(offset) * 4).astype(np.int64)
    low = int(quarters.min()) if quarters.size else 0
    code = quarters - low
    width = int(code.max()) + 1 if code.size else 1
    for name in names:
        code = code * len(PRIORS[name][0]) + np.asarray(levels[name], dtype=np.int64)
    distinct, counts = np.unique(code, return_counts=True)
    columns = {}
    for name in reversed(names):
        columns[name] = distinct % len(PRIORS[name][0])
        distinct = distinct // len(PRIORS[name][0])
    return columns, counts.astype(np.float64), (distinct % width + low) / 4.0


def _em(
    columns: Mapping[str, np.ndarray],
    counts: np.ndarray,
    m: dict[str, np.ndarray],
    u: Mapping[str, np.ndarray],
    *,
    offset: np.ndarray,
    estimated: tuple[str, ...],
    iterations: int,
) -> tuple[float, dict[str, np.ndarray]]:
    """Two-class EM over patterns: the expected number of matches and m of the `estimated`
    comparisons. `offset` (bits, per pattern) is what the fixed fields' values add: agreeing on
    Mohammed Al Balushi is likelier by chance than on a rare name, so such a pair starts as less
    likely one person (term frequency in the EM, or the namesakes of a big registry swamp it)."""
    share, m = 0.5 if estimated else 0.01, dict(m)
    weighted = counts
    for _ in range(iterations):
        log_ratio = offset + np.log2(share / (1 - share))
        for name, level in columns.items():
            log_ratio += np.where(_missing(name), 0.0, np.log2(m[name] / u[name]))[level]
        posterior = probability(log_ratio)
        weighted = posterior * counts
        share = float(np.clip(weighted.sum() / max(counts.sum(), 1.0), 1e-9, 1 - 1e-9))
        for name in estimated:
            counted = np.bincount(columns[name], weights=weighted, minlength=len(PRIORS[name][0]))
            expected = counted.astype(np.float64) + PRIOR_STRENGTH * np.asarray(PRIORS[name][1])
            expected = np.where(_missing(name), 0.0, np.maximum(expected, 1e-6))
            m[name] = np.where(_missing(name), 1.0, expected / expected.sum())
    return float(weighted.sum()), m


@dataclass(frozen=True)
class Training:
    """A session's pairs: the levels of every pair of records that agree on its fixed fields (or of
    a random sample of them), found by a blocking of its own, and how many such pairs there are."""

    levels: Mapping[str, np.ndarray]
    total: int
    frequencies: Mapping[str, np.ndarray] = field(default_factory=dict)  # per pair, as for match_weight


def estimate(
    sessions: Mapping[str, Training], u: Mapping[str, np.ndarray], *, all_pairs: int, iterations: int = 30
) -> Model:
    """m by EM in each training session (u fixed), and the prior from the deterministic rule's session."""
    prior = {name: _prior(name) for name in PRIORS}
    found: dict[str, list[np.ndarray]] = {name: [] for name in PRIORS}
    matches = 0.0
    for session, (fixed, estimated) in SESSIONS.items():
        training = sessions.get(session)
        if training is None or training.total == 0:
            continue
        levels = training.levels
        selected = np.ones(len(np.asarray(levels["given_name"])), dtype=bool)
        for name in fixed:
            selected &= np.asarray(levels[name]) == _EXACT
        offset = _offset(training, fixed, u)[selected]
        columns, counts, offsets = _patterns(
            {n: np.asarray(levels[n])[selected] for n in estimated}, list(estimated), offset
        )
        if counts.size == 0:
            continue
        found_matches, m = _em(columns, counts, prior, u, offset=offsets, estimated=estimated, iterations=iterations)
        for name in estimated:
            found[name].append(m[name])
        if fixed == DETERMINISTIC_RULE:  # the matches among every pair the rule holds for
            matches = found_matches * training.total / selected.size
    m = {name: np.mean(found[name], axis=0) if found[name] else prior[name] for name in PRIORS}
    return Model(match_share=match_share(matches, all_pairs), m=m, u=dict(u))


def _offset(training: Training, fixed: tuple[str, ...], u: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per pair, the term frequency of the fixed fields' values (bits; 0 where unknown)."""
    total = np.zeros(len(np.asarray(training.levels["given_name"])))
    for name in fixed:
        if name not in training.frequencies:
            continue
        frequency = np.asarray(training.frequencies[name], dtype=np.float64)
        known = np.isfinite(frequency) & (frequency > 0)
        total[known] += tf_change(name, float(u[name][_EXACT]), frequency[known])
    return total


def match_share(matches: float, all_pairs: int) -> float:
    """The probability that two records taken at random (of the same sex) are one person, from a
    deterministic rule and its assumed recall, as splink estimates it, over all pairs (then it does
    not depend on the blocking). Splink counts every pair the rule holds for as a match; in a
    registry of millions, two people with the same given name and tribe born on the same day are
    many (their number grows with the square of the registry), so the count here is the EM's
    estimate of the matches among those pairs."""
    if all_pairs == 0:
        return 1e-9
    return float(np.clip(max(matches, 1.0) / DETERMINISTIC_RECALL / all_pairs, 1e-12, 0.5))
