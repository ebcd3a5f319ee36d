"""A supervisor's override that holds: an **exception** per person and programme.

An override (an application approved, or a stopped benefit restored, against the rules) records, in
the decision's transaction and with its audit entry, an exception: from the month the benefit is due
(the application's month, or the month it stopped) until a review month the supervisor gives (at
most `exception.max_months` ahead), paying the monthly amount the supervisor states (at most
`exception.max_amount.<programme>`, the most the programme's rules pay anyone). While it is in force
the enrollment sync does not end the enrollment, and the payroll pays its amount for each month the
rules do not find the person entitled (where they do, the rules' amount: never both). After its
until month the sync ends the enrollment as usual. A supervisor may end it early (`end`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from himaya.cases.ports import ApplicationsUnitOfWork
from himaya.cases.rules import check_text
from himaya.core.access import Principal, Role
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.money import Currency, MoneyFormatError
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack

MONTHS, AMOUNT = "exception.max_months", "exception.max_amount"


@dataclass(frozen=True)
class Terms:
    """What a supervisor states with an override: the review month (the last month it holds) and the
    monthly amount it pays, in the currency's smallest unit."""

    until: Period
    amount: int


def terms(override: str | None, until: str | None, amount: str | None, currency: Currency) -> Terms | None:
    """The override's terms, checked before anything is read: both required with an override, neither
    without one.

    >>> from himaya.core.money import OMR
    >>> terms("minutes 3", "2026-12", "130.000", OMR)
    Terms(until=Period(year=2026, month=12), amount=130000)
    """
    if override is None:
        for name, given in (("override_until", until), ("override_amount", amount)):
            if given is not None and given.strip():
                raise InvalidInputError(f"{name}: only with an override (a supervisor's reason to override the rules)")
        return None
    if until is None or not until.strip():
        raise InvalidInputError(
            "override_until: required with an override: the month the supervisor reviews the exception (YYYY-MM)"
        )
    if amount is None or not amount.strip():
        raise InvalidInputError(
            f"override_amount: required with an override: the monthly amount the exception pays, in {currency.code}"
            f" (e.g. {currency.example})"
        )
    try:
        month = Period.parse(until)
    except ValueError as error:
        raise InvalidInputError(f"override_until: {error}") from None
    try:
        paid = currency.parse(amount)
    except MoneyFormatError as error:
        raise InvalidInputError(f"override_amount: {error}") from None
    if paid <= 0:
        raise InvalidInputError(f"override_amount: {amount.strip()} pays nothing; an exception pays a monthly amount")
    return Terms(month, paid)


def limits(pack: PolicyPack, programme: str, day: date) -> tuple[int, int]:
    """(the most months ahead, the most a month) an exception to `programme` may hold and pay."""
    tree, path = pack.parameters, f"{AMOUNT}.{programme}"
    if MONTHS not in tree or path not in tree:
        raise ConflictError(
            f"the policy pack sets no limits for an exception to {programme} (parameters {MONTHS}, {path}): an"
            " override of its rules cannot hold in the payroll"
        )
    return _whole(tree[MONTHS].value_at(day).value, MONTHS), _whole(tree[path].value_at(day).value, path)


def _whole(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConflictError(f"parameter {path} is {value!r}, not a whole number: the pack is wrong")
    return value


def check(pack: PolicyPack, programme: str, given: Terms, day: date) -> None:
    """The terms within the pack's limits on the day of the decision."""
    this = Period.containing(day)
    months, most = limits(pack, programme, day)
    if given.until.start < this.start:
        raise InvalidInputError(
            f"override_until: {given.until} is before this month ({this}): an exception is kept in force from now on;"
            " give this month or a later one"
        )
    last = this.shifted(months)
    if given.until.start > last.start:
        raise InvalidInputError(
            f"override_until: {given.until} is more than {months} months ahead (parameter {MONTHS}): at most {last};"
            " the supervisor reviews it then, and may extend it by another decision"
        )
    if given.amount > most:
        shown = pack.currency.format
        raise InvalidInputError(
            f"override_amount: {shown(given.amount)} {pack.currency.code} is more than the {programme} benefit's"
            f" rules pay anyone ({shown(most)} {pack.currency.code}, parameter {AMOUNT}.{programme})"
        )


def record(
    uow: ApplicationsUnitOfWork,
    pack: PolicyPack,
    case: Mapping[str, Any],
    programme: str,
    since: date,
    given: Terms,
    *,
    override: str,
    principal: Principal,
    day: date,
) -> dict[str, Any]:
    """Inside the decision's unit of work: the exception written with its audit entry; what was
    written, for the decision's record (`wrote`)."""
    check(pack, programme, given, day)
    start = Period.containing(since)
    key = case["person_id"]
    if key is None:
        raise ConflictError(f"case {case['number']} is about nobody on record: an exception needs a person")
    found = uow.exceptions.overlapping(key, programme, start.start, given.until.start)
    if found is not None:
        raise ConflictError(
            f"exception {found['id']} (case {found['case_number']}) keeps {programme} in force for"
            f" {case['civil_number']} until {found['until_month']:%Y-%m}: end it first (himaya cases exception-end)"
        )
    row = {
        "person_id": key, "programme": programme, "from_month": start.start, "until_month": given.until.start,
        "amount": given.amount, "case_number": case["number"], "reason": override, "granted_by": principal.username,
        "granted_at": now(), "version": 1,
    }  # fmt: skip
    number = uow.exceptions.add(row)
    shown = {
        "exception": number, "person": case["civil_number"], "programme": programme, "from": str(start),
        "until": str(given.until), "amount": pack.currency.format(given.amount),
    }  # fmt: skip
    uow.audit.record(
        [Change("case.exception", f"exception:{number}", None, shown | {"case": case["number"]})],
        actor=principal.username,
    )
    return shown


def in_force(uow: ApplicationsUnitOfWork, principal: Principal, month: Period) -> list[dict[str, Any]]:
    """The exceptions in force in `month` of the people of the user's branches, by person."""
    with uow:
        return uow.exceptions.in_force(principal, month.start)


def end(
    uow: ApplicationsUnitOfWork,
    exception_id: int,
    *,
    last: str,
    reason: str | None,
    expected_version: int,
    principal: Principal,
    today: date,
) -> dict[str, Any]:
    """A supervisor ends an exception early: `last` (YYYY-MM) is the last month it pays, before its
    until month and not before the month before this one (the payroll may have paid those). Audited;
    the next sync after `last` ends the enrollment as usual."""
    if Role.SUPERVISOR.value not in principal.roles:
        raise ForbiddenError("only a supervisor may end an exception: it is a committee's binding decision")
    reason = check_text("reason", reason, required=True)  # why it ends before its review month
    assert reason is not None
    try:
        month = Period.parse(last)
    except ValueError as error:
        raise InvalidInputError(f"last: {error}") from None
    with uow:
        found = uow.exceptions.get(principal, exception_id)
        if found is None:
            raise NotFoundError(f"no exception {exception_id} of a person in your branches")
        stale = StaleRecordError(
            f"exception {exception_id} changed since version {expected_version} (now {found['version']}): read it"
            " again (himaya cases exceptions)"
        )
        if expected_version > found["version"]:
            raise StaleRecordError(  # a conflict as a stale version is (409, exit 4): read it again
                f"version {expected_version} does not exist: the exception is at version {found['version']}"
            )
        if found["version"] != expected_version:
            raise stale
        _check_last(month, found, today)
        ended = uow.exceptions.end(
            exception_id, expected_version=expected_version, until=month.start, by=principal.username, reason=reason,
            at=now(),
        )  # fmt: skip
        if not ended:
            raise stale
        before = {"until": f"{found['until_month']:%Y-%m}", "version": expected_version}
        after = {"until": str(month), "reason": reason, "case": found["case_number"]}
        uow.audit.record(
            [Change("case.exception_end", f"exception:{exception_id}", before, after)], actor=principal.username
        )
        uow.commit()
    return {"exception": exception_id, "until": str(month), "version": expected_version + 1}


def _check_last(month: Period, found: dict[str, Any], today: date) -> None:
    """`month` may be the exception's last: from its first month, or last month (months paid stay
    paid), to the month before its until month."""
    floor = max(found["from_month"], Period.containing(today).shifted(-1).start)
    latest = Period.containing(found["until_month"]).shifted(-1)
    if not floor <= month.start <= latest.start:
        raise InvalidInputError(
            f"last: {month} is not between {floor:%Y-%m} (its first month, or last month: months paid stay paid)"
            f" and {latest} (the month before its until month)"
        )
