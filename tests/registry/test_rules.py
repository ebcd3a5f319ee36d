"""The registry's pure rules (places, dates), property-tested without a database."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from himaya.core.errors import InputTableError, InvalidInputError, UsageError
from himaya.core.settings import Settings
from himaya.policy.packs import load_pack
from himaya.registry.rules import EARLIEST, check_dates, effective_window, with_places

PLACES = dict(load_pack().places)
TODAY = date(2026, 6, 1)


@given(st.sampled_from(sorted(PLACES)), st.sampled_from(sorted(set(PLACES.values()))) | st.none())
def test_the_governorate_is_the_wilayats_or_the_row_is_refused(wilayat: str, governorate: str | None) -> None:
    frame = pl.DataFrame(
        {"wilayat": [wilayat], "governorate": [governorate]}, schema={"wilayat": pl.String, "governorate": pl.String}
    )
    if governorate is not None and governorate != PLACES[wilayat]:
        with pytest.raises(InputTableError) as refused:
            with_places(frame, PLACES, source="t")
        assert refused.value.problems[0].column == "governorate"
    else:
        assert with_places(frame, PLACES, source="t")["governorate"].to_list() == [PLACES[wilayat]]


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_birth_dates_lie_between_1900_and_today(born: date) -> None:
    frame = pl.DataFrame({"birth_date": [born]})
    if EARLIEST <= born <= TODAY:
        check_dates(frame, today=TODAY, source="t")
    else:
        with pytest.raises(InputTableError):
            check_dates(frame, today=TODAY, source="t")


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.integers(0, 3660))
def test_an_effective_date_is_after_birth_and_not_too_far_ahead(day: date, ahead: int) -> None:
    born = date(1980, 3, 4)
    if born <= day <= TODAY + timedelta(days=ahead):
        effective_window(day, today=TODAY, days_ahead=ahead, born=born)
    else:
        with pytest.raises(InvalidInputError):
            effective_window(day, today=TODAY, days_ahead=ahead, born=born)


def test_how_far_ahead_is_a_setting() -> None:
    assert Settings.from_environ({}).registry_days_ahead == 366
    assert Settings.from_environ({"HIMAYA_REGISTRY_DAYS_AHEAD": "30"}).registry_days_ahead == 30
    for wrong in ("-1", "lots", "99999"):
        with pytest.raises(UsageError, match="HIMAYA_REGISTRY_DAYS_AHEAD"):
            Settings.from_environ({"HIMAYA_REGISTRY_DAYS_AHEAD": wrong})
