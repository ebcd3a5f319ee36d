"""The Iraq policy pack: the federal social protection cash subsidy of Law 11/2014, with the
student grant and the full-time caregiver salary, in whole Iraqi dinars.

The research base is `shared/policy/iraq.md`; `docs/iraq.md` lists every parameter, its status and
what a ministry must replace. Confidence is lower than for Oman: every value not read in an official
text is an ASSUMED parameter (`himaya parameters --pack iraq --status ASSUMED`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.ages import birth_parts
from himaya.policy.pack import Adjustment, AnalysisInputs, PolicyPack, Programme, Unit
from himaya.policy.packs.iraq import grants, lifecycle, subsidy
from himaya.policy.packs.iraq.names import CODE_NAMES, MONTH_NAMES, PROGRAMME_NAMES
from himaya.policy.packs.iraq.places import district_names, governorate_names, governorates, places
from himaya.policy.packs.iraq.registry import FACTS
from himaya.policy.packs.iraq.schema import DISABILITY_CATEGORIES, HOUSEHOLD, INCOME_COLUMNS, IQD, PEOPLE, REGISTRY
from himaya.policy.packs.iraq.subsidy import IRAQI
from himaya.policy.parameters import ParameterError, ParameterTree

__all__ = ["IQD", "PACK"]


def _check_codes(tree: ParameterTree) -> None:
    """Parameters that name governorates, conditions or months name real ones, in every dated value."""
    allowed = {
        "territory.excluded_governorates": set(governorates()),
        "caregiver.conditions": set(DISABILITY_CATEGORIES),
        "student_grant.months": set(MONTH_NAMES),
    }
    for path, codes in allowed.items():
        for dated in tree[path].values:
            named = set(dated.value)  # type: ignore[arg-type]
            unknown = sorted(str(c) for c in named - codes)
            if unknown:
                raise ParameterError(
                    f"parameter {path} from {dated.start}: unknown code(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(codes))}"
                )


PACK = PolicyPack(
    name="iraq",
    title=Text(
        "Iraq: Social Protection Law No. 11 of 2014 (federal scheme)",
        "العراق: قانون الحماية الاجتماعية رقم 11 لسنة 2014 (النظام الاتحادي)",
    ),
    parameters_dir=Path(__file__).parent / "parameters",
    schema=PEOPLE,
    first_period=Period(2024, 1),
    steps=(
        Programme("sp_cash", PROGRAMME_NAMES["sp_cash"], Unit.FAMILY, subsidy.sp_cash),
        # Oman's life-cycle design, off unless a reform sets it (lifecycle.py); the student grant
        # rests on the subsidy or, when a reform pays it, the top-up: it comes after both.
        *(
            Programme(key, PROGRAMME_NAMES[key], Unit.PERSON, rule)
            for key, rule in (
                ("child_benefit", lifecycle.child_benefit),
                ("old_age", lifecycle.old_age),
                ("disability_benefit", lifecycle.disability_benefit),
            )
        ),
        Programme(
            "family_top_up", PROGRAMME_NAMES["family_top_up"], Unit.FAMILY, lifecycle.family_top_up, masculine=True
        ),
        Programme("student_grant", PROGRAMME_NAMES["student_grant"], Unit.PERSON, grants.student_grant),
        Programme("caregiver", PROGRAMME_NAMES["caregiver"], Unit.PERSON, grants.caregiver, masculine=True),
        Adjustment(
            "school_attendance",
            Text("Suspension for absence from school", "الإيقاف بسبب التغيب عن المدرسة"),
            subsidy.absence_suspension,
        ),
    ),
    recipient=pl.col("relationship") == "head",
    derived=birth_parts(),
    registry=REGISTRY,
    timezone="Asia/Baghdad",
    currency=IQD,
    check_parameters=_check_codes,
    code_names={
        **CODE_NAMES,
        "governorate": governorate_names(),
        "district": district_names(),
        "month": MONTH_NAMES,
    },
    parameter_code_kinds=("programme", "governorate", "disability_category", "month"),
    places=places(),
    place_column="district",
    person_number=Text("National ID number", "الرقم الوطني"),
    person_numbers=Text("national ID numbers", "الأرقام الوطنية"),
    place_name=Text("District", "القضاء"),
    registry_facts=FACTS,
    country="IQ",
    dialling_code="964",
    institution=Text("Social Protection Authority", "هيئة الحماية الاجتماعية"),
    cases_dir=Path(__file__).parent / "cases",
    programme_codes={
        "sp_cash": "SP",
        "student_grant": "SG",
        "caregiver": "CG",
        "child_benefit": "CB",
        "old_age": "OA",
        "disability_benefit": "DB",
        "family_top_up": "TU",
    },
    analysis=AnalysisInputs(
        data=Path(__file__).parent / "analysis",
        wpp_prefix="iraq_wpp2024",
        citizenship=IRAQI,
        income_columns=INCOME_COLUMNS,
        disabled=pl.col("disability_category").is_not_null(),
        poverty_line="poverty_line.per_person",
        equivalence_elasticity=None,  # the Ministry of Planning's line is per person: n x 137,000
        coverage_title=Text(
            "Coverage of Iraqis living in Iraq, the Kurdistan Region included (share receiving a benefit or in a"
            " family receiving a family benefit)",
            "التغطية بين العراقيين المقيمين في العراق، ومنهم إقليم كوردستان (نسبة من يتلقى منفعة أو في أسرة تتلقى"
            " منفعة أسرية)",
        ),
        money=Text("IQD", "دينار عراقي"),
        targeting=True,
        household=HOUSEHOLD,  # the synthetic Iraq's dwellings: its poverty is calibrated on them
        # The student grant is paid October to June: January, April, July and October weigh it 3/4.
        months=(1, 4, 7, 10),
    ),
)
