"""An award: a benefit the rules computed, stored for payment by a first officer and approved by a
second (maker-checker). What is awarded, its states, the payroll programme each benefit is paid as,
and the income kind the life-cycle rules read it as (a pension Himaya pays is never entered twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from himaya.core.errors import ConflictError, ForbiddenError
from himaya.core.events import Event
from himaya.core.text import Text


class Benefit(StrEnum):
    OLD_AGE = "old_age"
    DISABILITY = "disability"
    SURVIVOR = "survivor"  # the death pension of an insured person, shared among the survivors
    JOB_SECURITY = "job_security"
    MATERNITY = "maternity"  # paid once, the whole leave's allowance


class AwardState(StrEnum):
    PREPARED = "prepared"  # stored by a first officer: not paid, not counted as an income
    APPROVED = "approved"  # approved by a second officer: paid by the payroll, counted by the rules
    ENDED = "ended"  # ended (a death, an officer's decision) on its end date: paid up to it


class Group(StrEnum):
    """A survivor's group in the sharing table."""

    WIDOWS = "widows"
    CHILDREN = "children"
    PARENTS = "parents"


# The payroll programme each benefit is paid as (the pack's `programme_codes` give them their
# two characters in a transfer's end-to-end id): one line per person, programme and month, ever.
PROGRAMMES = {
    Benefit.OLD_AGE: "pension_old_age",
    Benefit.DISABILITY: "pension_disability",
    Benefit.SURVIVOR: "survivor_pension",
    Benefit.JOB_SECURITY: "job_security",
    Benefit.MATERNITY: "maternity_allowance",
}
# The income the life-cycle rules read an approved award as: the pensioner's `pension`, each
# survivor's share as their `survivor_pension`. Job security and maternity are not incomes they read.
INCOMES = {Benefit.OLD_AGE: "pension", Benefit.DISABILITY: "pension", Benefit.SURVIVOR: "survivor_pension"}

BENEFIT_NAMES = {
    Benefit.OLD_AGE: Text("old-age pension", "معاش الشيخوخة"),
    Benefit.DISABILITY: Text("disability pension", "معاش العجز"),
    Benefit.SURVIVOR: Text("survivor pension", "معاش المستحقين"),
    Benefit.JOB_SECURITY: Text("job security benefit", "منفعة الأمان الوظيفي"),
    Benefit.MATERNITY: Text("maternity allowance", "بدل الأمومة"),
}


class MakerCheckerError(ForbiddenError):
    """The officer who prepared an award tried to approve it: another officer must."""


class AwardConflictError(ConflictError):
    """An award the records' state does not allow now (overlapping, already approved or ended)."""


@dataclass(frozen=True)
class Survivor:
    """A survivor named by the officer: their civil number and group."""

    civil_number: str
    group: Group


@dataclass(frozen=True)
class Awarded(Event):
    """An award prepared, approved or ended."""

    award: int
    civil_number: str
    benefit: Benefit
    state: AwardState
    amount: int  # baisa: a month's (the whole leave's for maternity)
    start: date
    end: date | None
    version: int
    actor: str
