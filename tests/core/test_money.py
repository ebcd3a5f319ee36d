"""Money in a pack's currency: exact parsing and writing, in rials (3 decimals) and dinars (none)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from himaya.core.money import OMR, MoneyFormatError
from himaya.policy.packs.iraq import IQD


def test_dinars_are_whole() -> None:
    assert IQD.parse("125000") == 125000
    assert IQD.format(1188000) == "1188000"
    assert IQD.format(1188000, grouped=True) == "1,188,000"
    assert IQD.shown(137000, "ar", grouped=True) == "137,000 د.ع."
    assert IQD.per_unit == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("125000.5", "has decimals: IQD amounts are whole"),
        ("125000.", "has decimals"),
        ("-5", "is negative"),
        ("12,000", "is not an IQD amount like 125000"),
        ("abc", "is not an IQD amount"),
    ],
)
def test_a_bad_dinar_amount_is_named(text: str, message: str) -> None:
    with pytest.raises(MoneyFormatError, match=message):
        IQD.parse(text)


def test_rials_keep_their_three_decimals() -> None:
    assert OMR.parse("257.148") == 257148
    assert OMR.format(-5) == "-0.005"
    with pytest.raises(MoneyFormatError, match="more than 3 decimals"):
        OMR.parse("1.0001")


@given(st.integers(min_value=0, max_value=10**15))
def test_writing_then_reading_gives_the_amount_back(amount: int) -> None:
    assert IQD.parse(IQD.format(amount)) == amount
    assert OMR.parse(OMR.format(amount)) == amount
