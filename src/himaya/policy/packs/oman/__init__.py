"""The Oman policy pack: Social Protection Law (Royal Decree 52/2023) as paid by the SPF.

The specification is `shared/policy/oman.md`; `docs/policy/oman.md` lists every assumption.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Adjustment, PolicyPack, Programme, RuleFunction, Unit
from himaya.policy.packs.oman import family, individual
from himaya.policy.packs.oman.common import birth_parts
from himaya.policy.packs.oman.names import PROGRAMME_NAMES
from himaya.policy.packs.oman.registry import REGISTRY
from himaya.policy.packs.oman.schema import PEOPLE


def _person(key: str, rule: RuleFunction) -> Programme:
    return Programme(key, PROGRAMME_NAMES[key], Unit.PERSON, rule)


PACK = PolicyPack(
    name="oman",
    title=Text("Oman: Social Protection Law (RD 52/2023)", "عُمان: قانون الحماية الاجتماعية (م.س 52/2023)"),
    parameters_dir=Path(__file__).parent / "parameters",
    schema=PEOPLE,
    first_period=Period(2024, 1),
    steps=(
        _person("child", individual.child),
        _person("elderly", individual.elderly),
        _person("disability", individual.disability),
        _person("orphan", individual.orphan),
        _person("widow", individual.widow),
        Adjustment("combination", Text("Combining benefits", "الجمع بين المنافع"), individual.combination),
        Programme(
            "family_income_support",
            PROGRAMME_NAMES["family_income_support"],
            Unit.FAMILY,
            family.family_income_support,
        ),
    ),
    recipient=pl.col("relationship") == "head",
    derived=birth_parts(),
    registry=REGISTRY,
    timezone="Asia/Muscat",
)
