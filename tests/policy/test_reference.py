"""The engine against a naive person-by-person implementation, row for row, on random tables."""

from __future__ import annotations

import random

import pytest

from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import people_frame
from tests.policy import reference_oman
from tests.policy.random_people import random_people

PERIODS = ["2024-01", "2024-02", "2025-12", "2026-01", "2026-03", "2027-02", "2028-02", "2030-12"]


@pytest.mark.parametrize("period", PERIODS)
def test_engine_matches_reference_row_for_row(oman: PolicyPack, period: str) -> None:
    month = Period.parse(period)
    people = random_people(random.Random(period), families=3000, around=month.start)
    table = validate_table(people_frame(people), oman.schema, source="random")
    got = [
        (r["family_id"], r["person_id"], r["programme"], r["amount"])
        for r in entitlements(table, oman, oman.parameters, month).to_dicts()
    ]
    want = reference_oman.entitlements(people, reference_oman.Month(month.start, month.end))
    assert len(want) > 1000  # the table really exercises the rules
    assert {row[2] for row in want} == {p.key for p in oman.programmes}
    assert got == want
