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
from dataclasses import dataclass

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
# exactly on the session's fixed fields (mostly the same person), and estimates m of the listed comparisons only,
# with only those in its likelihood. Mobile, IBAN and civil number are estimated where the fixed
# fields exclude relatives (given name, family and birth date equal): elsewhere twins and siblings,
# who share a mobile and consecutive numbers, would teach the model that sharing them is identity.
SESSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "given+family+birth_date": (
        ("given_name", "family_name", "birth_date"),
        ("father_name", "grandfather_name", "name_order", "civil_number", "mobile", "iban"),
    ),
    # The contacts and the number are in this session's likelihood too: in a big registry most
    # pairs with the same four names are namesakes, and the birth date alone cannot tell the EM
    # which of them are one person.
    "four_names": (
        ("given_name", "father_name", "grandfather_name", "family_name"),
        ("birth_date", "name_order", "civil_number", "mobile", "iban"),
    ),
    "birth_date+father+grandfather": (("birth_date", "father_name", "grandfather_name"), ("given_name", "family_name")),
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
                exact_u = self.u[name][_EXACT]
                change = np.log2(exact_u / frequency[adjust])
                total[adjust] += np.minimum(change, 0.0) if name in TF_ONLY_DOWN else change
        return total

    def describe(self) -> list[tuple[str, str, float, float, float]]:
        """(comparison, level, m, u, log2 m/u) for the documentation and the CLI."""
        weights = self.weights()
        return [
            (name, level, float(self.m[name][k]), float(self.u[name][k]), float(weights[name][k]))
            for name, (levels, _) in PRIORS.items()
            for k, level in enumerate(levels)
        ]


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


def _patterns(levels: Mapping[str, np.ndarray], names: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Distinct rows of levels of `names` and how many pairs show each."""
    code = np.zeros(len(np.asarray(levels[names[0]])), dtype=np.int64)
    for name in names:
        code = code * len(PRIORS[name][0]) + np.asarray(levels[name], dtype=np.int64)
    distinct, counts = np.unique(code, return_counts=True)
    columns = {}
    for name in reversed(names):
        columns[name] = distinct % len(PRIORS[name][0])
        distinct = distinct // len(PRIORS[name][0])
    return columns, counts.astype(np.float64)


def _em(
    columns: Mapping[str, np.ndarray],
    counts: np.ndarray,
    m: dict[str, np.ndarray],
    u: Mapping[str, np.ndarray],
    *,
    estimated: tuple[str, ...],
    iterations: int,
) -> tuple[float, dict[str, np.ndarray]]:
    """Two-class EM over patterns: the match share and m of the `estimated` comparisons."""
    share, m = 0.5 if estimated else 0.01, dict(m)
    for _ in range(iterations):
        log_ratio = np.full(counts.size, np.log2(share / (1 - share)))
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
    return share, m


@dataclass(frozen=True)
class Training:
    """A session's pairs: the levels of every pair of records that agree on its fixed fields (or of
    a random sample of them), found by a blocking of its own, and how many such pairs there are."""

    levels: Mapping[str, np.ndarray]
    total: int


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
        columns, counts = _patterns({n: np.asarray(levels[n])[selected] for n in estimated}, list(estimated))
        if counts.size == 0:
            continue
        share, m = _em(columns, counts, prior, u, estimated=estimated, iterations=iterations)
        for name in estimated:
            found[name].append(m[name])
        if fixed == DETERMINISTIC_RULE:  # the matches among every pair the rule holds for
            matches = share * float(selected.mean()) * training.total
    m = {name: np.mean(found[name], axis=0) if found[name] else prior[name] for name in PRIORS}
    return Model(match_share=match_share(matches, all_pairs), m=m, u=dict(u))


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
