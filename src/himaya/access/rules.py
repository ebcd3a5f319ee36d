"""The login throttle, as pure decisions.

Failures are counted per (user name, client address), not per user name alone: five wrong
passwords for `admin` sent from anywhere would otherwise lock the real admin out for as long as
anyone cares to keep sending them. A pair gets a few free failures, then waits a delay that
doubles with every further failure (capped); a success from that address starts it afresh. One
address also has a ceiling over every name it tries, which stops a single client from guessing
across many accounts. An admin may clear a user's failures (`himaya users unlock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from himaya.access.model import Failures


@dataclass(frozen=True)
class Throttle:
    window: timedelta = timedelta(minutes=15)  # failures older than this are forgotten
    free_failures: int = 5  # per (name, address) before any wait
    first_delay: timedelta = timedelta(seconds=30)  # the wait after the last free failure; doubles after
    max_delay: timedelta = timedelta(minutes=15)
    max_failures_per_address: int = 20  # over every name, within the window


def delay(failures: int, throttle: Throttle) -> timedelta:
    """How long a (name, address) pair waits after its `failures`-th failure in a row.

    >>> [int(delay(n, Throttle()).total_seconds()) for n in (4, 5, 6, 7, 12)]
    [0, 30, 60, 120, 900]
    """
    extra = failures - throttle.free_failures
    if extra < 0:
        return timedelta(0)
    doubled: timedelta = throttle.first_delay * 2 ** min(extra, 32)
    return min(doubled, throttle.max_delay)


def wait(failures: Failures, at: datetime, throttle: Throttle) -> int:
    """Seconds to wait before another login of this pair is even considered (0: go ahead)."""
    if failures.by_address >= throttle.max_failures_per_address:
        return int(throttle.window.total_seconds())
    if failures.last is None:
        return 0
    remaining = failures.last + delay(failures.by_pair, throttle) - at
    return max(0, int(remaining.total_seconds() + 0.999))
