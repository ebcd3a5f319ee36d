"""The insurance's branches and sectors, one enum each (the tables' CHECK constraints are built from
them), what its actions answer, and the events they raise."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from himaya.core.errors import ConflictError
from himaya.core.events import Event
from himaya.core.periods import Period
from himaya.core.text import Text


class Branch(StrEnum):
    """A branch of insurance: each has its rates, ceiling and coverage in the pack's parameters
    (`insurance.<branch>.employee`, `.employer`, `.covers`, `.ceiling`)."""

    OLD_AGE = "old_age"  # old age, disability and death
    WORK_INJURY = "work_injury"
    JOB_SECURITY = "job_security"
    MATERNITY = "maternity"
    SICK_LEAVE = "sick_leave"
    SAVINGS = "savings"  # non-Omani workers' savings scheme: on the basic wage, no ceiling

    @property
    def name_text(self) -> Text:
        return BRANCH_NAMES[self]


BRANCH_NAMES = {
    Branch.OLD_AGE: Text("Old age, disability and death", "الشيخوخة والعجز والوفاة"),
    Branch.WORK_INJURY: Text("Work injuries and occupational diseases", "إصابات العمل والأمراض المهنية"),
    Branch.JOB_SECURITY: Text("Job security", "الأمان الوظيفي"),
    Branch.MATERNITY: Text("Maternity leave", "إجازات الأمومة"),
    Branch.SICK_LEAVE: Text("Sick and unusual leave", "الإجازات المرضية وغير الاعتيادية"),
    Branch.SAVINGS: Text("Savings scheme (non-Omanis)", "نظام الادخار (غير العُمانيين)"),
}

# The branch whose contributions are a share of the basic wage (RD 52/2023 art. 139(1)); the others
# are a share of the wage, up to their ceiling.
ON_BASIC_WAGE = frozenset({Branch.SAVINGS})


class Coverage(StrEnum):
    """Who a branch covers, as the `covers` parameters name them."""

    OMANI = "omani"  # the pack's own nationality (PolicyPack.country)
    NON_OMANI = "non_omani"


class Sector(StrEnum):
    PRIVATE = "private"
    GOVERNMENT = "government"
    SEMI_GOVERNMENT = "semi_government"  # state-owned companies and public authorities
    HOUSEHOLD = "household"  # a household employing domestic workers


class InsuranceConflictError(ConflictError):
    """A declaration or payment that the records' state does not allow now; nothing was written."""


@dataclass(frozen=True)
class EmployersRegistered:
    """What `register_employers` did."""

    rows: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Declared(Event):
    """Declarations stored: one per employer of the file, for `month`."""

    month: Period
    employers: int
    insured: int
    wages: int  # baisa
    due: int  # baisa, employee and employer shares of every branch
    corrected: bool
    actor: str
    replayed: bool = False  # the same lines as the current revision's, sent again: nothing written


@dataclass(frozen=True)
class PaymentRecorded(Event):
    employer: str
    amount: int  # baisa
    reference: str
    actor: str
