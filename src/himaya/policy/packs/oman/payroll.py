"""What the payroll and the enrollment need to know of Oman beside the benefit rules."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from himaya.policy.pack import EnrollmentStart
from himaya.policy.parameters import Parameters

# Two characters per programme in the end-to-end id of a transfer (HMY + code + YYMM + civil number).
PROGRAMME_CODES = {
    "child": "CH",
    "elderly": "EL",
    "disability": "DI",
    "orphan": "OR",
    "widow": "WI",
    "family_income_support": "FS",
    # The insurance's awards, paid by the same run (`insurance/award_model.PROGRAMMES`).
    "pension_old_age": "PO",
    "pension_disability": "PD",
    "survivor_pension": "PS",
    "survivor_topup": "PT",  # a survivor's share gone up for a month paid before (`payroll/shares.py`)
    "job_security": "JS",
    "maternity_allowance": "MA",
}

# The age of majority: the benefit of a younger beneficiary without an account of their own goes
# to the guardian (the family head).
AGE_OF_MAJORITY = 18


def enrollment_starts(p: Parameters) -> Mapping[str, EnrollmentStart]:
    """The child benefit from the month of birth, the elderly benefit from the month of the birthday
    of `elderly.min_age`, the disability benefit from the month the assessment was registered;
    the others (Family Income Support, orphan and widow) from the month of the application."""
    age = int(p.elderly.min_age)
    return {
        "child": EnrollmentStart(pl.col("birth_date"), "from the month of birth"),
        "elderly": EnrollmentStart(
            pl.col("birth_date").dt.offset_by(f"{age}y"), f"from the month the person turns {age}"
        ),
        "disability": EnrollmentStart(pl.col("assessed_from"), "from the month the assessment was registered"),
    }
