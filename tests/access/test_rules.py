"""The login throttle's decisions, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from himaya.access.model import Failures
from himaya.access.rules import Throttle, delay, wait

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
throttles = st.builds(
    Throttle,
    free_failures=st.integers(1, 10),
    first_delay=st.integers(1, 120).map(lambda s: timedelta(seconds=s)),
    max_delay=st.integers(1, 3600).map(lambda s: timedelta(seconds=s)),
)


@given(throttles, st.integers(0, 200))
def test_the_delay_never_shrinks_and_never_passes_the_cap(throttle: Throttle, failures: int) -> None:
    assert timedelta(0) <= delay(failures, throttle) <= delay(failures + 1, throttle)
    assert delay(failures, throttle) <= max(throttle.max_delay, timedelta(0))
    if failures < throttle.free_failures:
        assert delay(failures, throttle) == timedelta(0)


@given(throttles, st.integers(0, 200), st.integers(0, 7200))
def test_the_wait_ends(throttle: Throttle, failures: int, ago: int) -> None:
    last = AT - timedelta(seconds=ago)
    seconds = wait(Failures(failures, last, 0), AT, throttle)
    assert 0 <= seconds <= int(throttle.max_delay.total_seconds()) + 1
    assert wait(Failures(failures, last, 0), last + delay(failures, throttle), throttle) == 0


def test_one_address_over_many_names_waits_the_window() -> None:
    throttle = Throttle()
    assert wait(Failures(0, None, 19), AT, throttle) == 0
    assert wait(Failures(0, None, 20), AT, throttle) == 15 * 60
