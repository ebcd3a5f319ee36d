"""The insurance's reads for a user (the API's staff and partner systems): an insured person's
career, and their pension, job security benefit or maternity allowance computed and explained, only
for a person registered in the user's branches. The scope check, the person's data and the read's
audit entry share one unit of work; a person outside the branches is answered exactly as one who
does not exist (the same statements, the same refusal, a `read` entry with `"found": false`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol, TypeVar

import polars as pl

from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.errors import ForbiddenError, NotFoundError
from himaya.insurance import benefits
from himaya.insurance.award_ports import AwardUnitOfWork
from himaya.insurance.pension import Kind
from himaya.insurance.pension_explain import PensionExplanation
from himaya.insurance.ports import InsuranceUnitOfWork
from himaya.policy.pack import PolicyPack
from himaya.registry.ports import RegistryUnitOfWork

T = TypeVar("T")


class ScopedUnitOfWork(InsuranceUnitOfWork, RegistryUnitOfWork, Protocol):
    """A unit of work with both the registry (for the branch scope) and the insurance store."""


U = TypeVar("U", bound=ScopedUnitOfWork)


def _in_scope(uow: U, principal: Principal, civil_number: str, what: str, read: Callable[[U], T]) -> T:
    """`read` of a person in the user's branches, audited as `read person:CIVIL` ({what, found})."""
    failure: NotFoundError | None = None
    result: T | None = None
    with uow:
        found = uow.registry.visible_id(principal, civil_number) is not None
        if found:
            try:
                result = read(uow)
            except NotFoundError as error:  # no career: still a read of the person, audited
                failure = error
        change = Change("read", f"person:{civil_number}", None, {"what": what, "found": found})
        uow.audit.record([change], actor=principal.username)
        uow.commit()
    if not found:
        raise NotFoundError(f"no person with civil number {civil_number!r} in your branches")
    if failure is not None:
        raise failure
    assert result is not None
    return result


def career(uow: ScopedUnitOfWork, principal: Principal, civil_number: str) -> pl.DataFrame:
    """The person's declared months (month, cr_number, name, wage, days), if in the user's branches."""

    def read(u: ScopedUnitOfWork) -> pl.DataFrame:
        found = u.insurance.career(civil_number)
        if not found.height:
            raise NotFoundError(f"no declared month for civil number {civil_number!r}")
        return found

    return _in_scope(uow, principal, civil_number, "insurance.career", read)


def _lines(
    uow: ScopedUnitOfWork, principal: Principal, civil_number: str, what: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _in_scope(uow, principal, civil_number, what, lambda u: benefits.person_career(u, civil_number))


def pension(
    uow: ScopedUnitOfWork, pack: PolicyPack, principal: Principal, civil_number: str, day: date, *, kind: Kind
) -> PensionExplanation:
    """The person's old-age pension on `day` (or disability pension for a disability then), explained."""
    if kind not in (Kind.OLD_AGE, Kind.DISABILITY):
        raise ValueError(f"{kind}: an old-age or disability pension only")
    benefits.check_day(pack, day, "the day")
    people, lines = _lines(uow, principal, civil_number, f"insurance.pension.{kind.value}")
    return benefits.pension_of(pack, pack.parameters, people, lines, kind, day)


def job_security(
    uow: ScopedUnitOfWork, pack: PolicyPack, principal: Principal, civil_number: str, lost_on: date, *, claim: int
) -> PensionExplanation:
    """The person's job security benefit for a job lost on `lost_on` (the `claim`-th claim), explained."""
    benefits.check_claim(pack, lost_on, claim)
    people, lines = _lines(uow, principal, civil_number, "insurance.job_security")
    return benefits.job_security_of(pack, pack.parameters, people, lines, lost_on, claim)


def maternity(
    uow: ScopedUnitOfWork, pack: PolicyPack, principal: Principal, civil_number: str, born_on: date
) -> PensionExplanation:
    """The person's maternity allowance for a birth on `born_on`, explained."""
    benefits.check_day(pack, born_on, "the birth on")
    people, lines = _lines(uow, principal, civil_number, "insurance.maternity")
    return benefits.maternity_of(pack, pack.parameters, people, lines, born_on)


class ScopedAwardUnitOfWork(ScopedUnitOfWork, AwardUnitOfWork, Protocol):
    """The same, with the awards."""


HIDDEN = "hidden"  # the civil number of someone outside the reader's branches, in an award they share in


def awards(uow: ScopedAwardUnitOfWork, principal: Principal, civil_number: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The person's awards (as the insured person or a survivor) and their survivors' shares, if the
    person is in the user's branches; another person's civil number outside them shown as `hidden`.
    The user needs `insurance.read` (the awards' own permission)."""
    if not principal.can(Permission.INSURANCE_READ):
        raise ForbiddenError(f"{principal.username} may not do this: it needs {Permission.INSURANCE_READ.value}")

    def read(u: ScopedAwardUnitOfWork) -> tuple[pl.DataFrame, pl.DataFrame]:
        found = u.awards.awards(civil_number)
        split = u.awards.shares(found["id"].to_list())
        named = set(found["civil_number"].to_list()) | set(split["civil_number"].to_list())
        seen = {c for c in named if c == civil_number or u.registry.visible_id(principal, c) is not None}
        mask = pl.when(pl.col("civil_number").is_in(list(seen))).then(pl.col("civil_number")).otherwise(pl.lit(HIDDEN))
        return found.with_columns(mask), split.with_columns(mask)

    return _in_scope(uow, principal, civil_number, "insurance.awards", read)


__all__ = ["awards", "career", "job_security", "maternity", "pension"]
