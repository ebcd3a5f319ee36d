"""Money and dates as the Oman rules use them, in OpenFisca's numpy arrays."""

from __future__ import annotations

from datetime import date

import numpy


def baisa(omr: float) -> int:
    """An OMR parameter (at most 3 decimals, stored as a YAML number) in integer baisa, exactly."""
    return round(omr * 1000)


def as_baisa(array: numpy.ndarray) -> numpy.ndarray:
    """An integer-baisa array widened to int64 before any arithmetic (OpenFisca stores `int` as int32)."""
    return numpy.asarray(array, dtype=numpy.int64)


def age_at(day: date, birth_year: numpy.ndarray, birth_month_day: numpy.ndarray) -> numpy.ndarray:
    """Completed years at `day` (someone born on 29 February has a birthday on 1 March in a common year)."""
    return day.year - birth_year - (day.month * 100 + day.day < birth_month_day)


def exact_target(base: int, members: numpy.ndarray) -> numpy.ndarray:
    """base x sqrt(n), rounded half up to the baisa, in exact integer arithmetic.

    round(sqrt(S)) for S = base^2 n is (isqrt(4S) + 1) // 2; the float square root is corrected by one
    step each way, which makes it the exact integer square root for every S below 2^52.
    """
    scaled = 4 * base * base * numpy.asarray(members, dtype=numpy.int64)
    guess = numpy.floor(numpy.sqrt(scaled.astype(numpy.float64))).astype(numpy.int64)
    guess = numpy.where(guess * guess > scaled, guess - 1, guess)
    guess = numpy.where((guess + 1) * (guess + 1) <= scaled, guess + 1, guess)
    return (guess + 1) // 2
