"""The Oman policy pack: Social Protection Law (Royal Decree 52/2023) as paid by the SPF.

The specification is `shared/policy/oman.md`; `docs/policy/oman.md` lists every assumption.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from himaya.core.money import OMR
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import Adjustment, AnalysisInputs, PolicyPack, Programme, RuleFunction, Unit
from himaya.policy.packs.oman import family, individual
from himaya.policy.packs.oman.common import birth_parts
from himaya.policy.packs.oman.names import CODE_NAMES, PROGRAMME_NAMES
from himaya.policy.packs.oman.payroll import AGE_OF_MAJORITY, PROGRAMME_CODES, enrollment_starts
from himaya.policy.packs.oman.registry import FACTS, REGISTRY, governorate_names, places, wilayat_names
from himaya.policy.packs.oman.schema import DISABILITY_CATEGORIES, PEOPLE
from himaya.policy.parameters import ParameterError, ParameterTree


def _person(key: str, rule: RuleFunction) -> Programme:
    return Programme(key, PROGRAMME_NAMES[key], Unit.PERSON, rule)


def _check_codes(tree: ParameterTree) -> None:
    """Parameters that name programmes or categories name real ones, in every dated value."""
    programmes = set(PROGRAMME_NAMES)
    allowed = {
        "fis.counted_benefits": programmes - {"family_income_support"},
        "combination.exclusive": programmes - {"family_income_support"},
        "disability.categories": set(DISABILITY_CATEGORIES),
    }
    for path, codes in allowed.items():
        for dated in tree[path].values:
            named = {c for item in dated.value for c in (item if isinstance(item, tuple) else (item,))}  # type: ignore[union-attr]
            unknown = sorted(named - codes)
            if unknown:
                raise ParameterError(
                    f"parameter {path} from {dated.start}: unknown code(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(codes))}"
                )


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
    check_parameters=_check_codes,
    timezone="Asia/Muscat",
    currency=OMR,
    parameter_code_kinds=("programme", "disability_category"),
    code_names={**CODE_NAMES, "governorate": governorate_names(), "wilayat": wilayat_names()},
    places=places(),
    registry_facts=FACTS,
    country="OM",
    dialling_code="968",
    institution=Text("Social Protection Fund", "صندوق الحماية الاجتماعية"),
    programme_codes=PROGRAMME_CODES,
    age_of_majority=AGE_OF_MAJORITY,
    enrollment_starts=enrollment_starts,
    cases_dir=Path(__file__).parent / "cases",
    services_dir=Path(__file__).parent / "services",
    analysis=AnalysisInputs(
        # The analysis's own data folder holds Oman's WPP extract and scenario (shipped there first).
        data=Path(__file__).resolve().parents[3] / "analysis" / "data",
        wpp_prefix="oman_wpp2024",
        citizenship="OM",
        income_columns=("wage", "pension", "survivor_pension", "alimony", "other_income"),
        disabled=pl.col("disability_card"),
        poverty_line="poverty.line",
        equivalence_elasticity="poverty.equivalence_elasticity",
        coverage_title=Text(
            "Coverage of citizens living in Oman (share receiving a benefit or in a family receiving FIS)",
            "التغطية بين المواطنين المقيمين في عُمان (نسبة من يتلقى منفعة أو في أسرة تتلقى دعم دخل الأسرة)",
        ),
        money=Text("OMR", "ريال عماني"),
    ),
)
