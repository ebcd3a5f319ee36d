"""A declaration sent by a user of the API (`POST /insurance/declarations`): who may declare for
which employer, then the same action as `himaya insurance declare` (`actions.declare`).

The model: `insurance.declare` is held by the employer role (an employer's payroll system, a
client) and by the insurance officer role (the Fund's staff). A user declares for an employer
whose commercial registration number is one of its scopes (`employer:CR_NUMBER`, one a company of
a group), or for any employer with the scope `all`; a branch scope (`wilayat:`, `governorate:`)
gives no employer, since an employer is not in a branch. The check is made on the employers the
request names before anything is read, so a refusal tells nothing of the register.

What the registry refuses of a person is named only to a user who may identify people
(`person.identify`): an employer's system learns that a civil number cannot be declared, never
the person's dates or their merged record; and the attempt is audited (a `probe` entry, as a
refusal for another employer is), so that an employer trying civil numbers shows in the trail. A
request sent again with the same lines is answered
as the first was, and nothing is written (`replayed`); with other lines it is a conflict, unless
it is a correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.errors import ForbiddenError, InputTableError
from himaya.core.periods import Period
from himaya.insurance import actions
from himaya.insurance.model import Declared
from himaya.insurance.ports import InsuranceUnitOfWork
from himaya.insurance.rules import UNDISCLOSED
from himaya.policy.pack import PolicyPack

SHOWN = 10  # employers a refusal names
PROBED = 100  # civil numbers a refused declaration's audit entry keeps


def named_employers(raw: pl.DataFrame, employer: str | None) -> list[str]:
    """The employers a request declares for: `employer`, or the values of a batch's cr_number column."""
    if employer is not None:
        return [employer.strip()]
    if "cr_number" not in raw.columns:
        return []  # the contract names the missing column
    values = raw["cr_number"].cast(pl.String).str.strip_chars().drop_nulls().unique().sort()
    return [v for v in values.to_list() if v]


def outside(principal: Principal, employers: Sequence[str]) -> list[str]:
    """The employers the user may not declare for: those not among its `employer:` scopes, unless
    it has every scope (`all`)."""
    if principal.every_branch:
        return []
    mine = set(principal.branch_values("employer"))
    return [e for e in employers if e not in mine]


def declare(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    principal: Principal,
    raw: pl.DataFrame,
    month: Period,
    *,
    source: str,
    today: date,
    employer: str | None = None,
    correct: bool = False,
) -> Declared:
    """The month's declaration of employers the user may declare for; refused whole otherwise."""
    if not principal.can(Permission.INSURANCE_DECLARE):
        raise ForbiddenError("your roles do not allow insurance.declare")
    refused = outside(principal, named_employers(raw, employer))
    if refused:
        _probe(uow, principal, f"employer:{refused[0]}", {"refused": "scope", "employers": refused[:SHOWN]})
        more = f" and {len(refused) - SHOWN} more" if len(refused) > SHOWN else ""
        raise ForbiddenError(
            f"you may not declare for employer {', '.join(refused[:SHOWN])}{more}: a user declares for the"
            " employers of its scopes (employer:CR_NUMBER) only"
        )
    try:
        return actions.declare(
            uow, pack, raw, month, actor=principal.username, source=source, today=today, employer=employer,
            correct=correct, replay=True, disclose=principal.identifies,
        )  # fmt: skip
    except InputTableError as error:
        persons = [p.value for p in error.problems if p.rule == UNDISCLOSED]
        if persons:  # civil numbers the registry refused, tried by one who may not read it: in the trail
            details = {"refused": "persons", "count": len(persons), "civil_numbers": persons[:PROBED]}
            _probe(uow, principal, f"declaration:{month}", details)
        raise


def _probe(uow: InsuranceUnitOfWork, principal: Principal, subject: str, details: dict[str, Any]) -> None:
    """A refused declaration, audited on its own (nothing else was written): who tried what."""
    with uow:
        uow.audit.record(
            [Change("probe", subject, None, {"action": "insurance.declare"} | details)], actor=principal.username
        )
        uow.commit()
