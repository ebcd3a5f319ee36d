"""What the Iraq registry keeps of a person over time, and where (docs/iraq.md, "The registry").

The registry's own tables hold what Oman's contract has too (the situation, the disability, the
incomes by kind, the bank account); the columns only Iraq's contract has (the exclusions' flags,
school level, enrolment and attendance, the measured welfare, the caregiver's link...) are kept as
attributes (`policy/registry.attribute`): time-bound, one row a person and column, so that a new
column of the pack is a declaration here, not a table or import code.
"""

from __future__ import annotations

from himaya.policy.packs.iraq.schema import FLAGS, INCOME_COLUMNS
from himaya.policy.registry import Held, RegistryFact, attribute

ATTRIBUTE_COLUMNS = (
    "district",
    "permanent_resident",
    "pmt_pc_welfare",
    "sp_category",
    "school_level",
    "enrolled",
    "attending",
    "pregnant",
    *FLAGS,
    "ration_card",
    "cares_for",
    "kinship_degree",
)

FACTS = (
    RegistryFact("situation", "person_situation", {c: c for c in ("resident", "marital_status", "employed")}),
    RegistryFact(
        "disability", "disability_assessment", {"category": "disability_category"}, Held.ANY, ("disability_category",)
    ),
    RegistryFact("bank_account", "bank_account", {"iban": "iban", "bank_code": "bank_code"}, Held.ANY, ("iban",)),
    *(
        RegistryFact(f"income.{kind}", "income", {"monthly_amount": kind}, Held.POSITIVE, (kind,), {"kind": kind})
        for kind in INCOME_COLUMNS
    ),
    *(attribute(column) for column in ATTRIBUTE_COLUMNS),
)
