"""The insurance's use cases: register employers, declare a month (or correct it), record a payment;
and the reads: contributions by branch, arrears with the surcharge, an insured person's career.

Each write is one unit of work: the checks (the file against its contract, the employers and the
insured persons against the registry, the declarations already made), the set-based writes and the
audit entries share one transaction, so a refused file leaves nothing behind. A month is declared
once per employer: declaring it again is refused unless it is an explicit correction, which
replaces the month's lines as a new revision (the old ones are kept, never counted); a unique index
holds one declaration per employer and month, so no statement can count a month twice.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl

from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import InputTableError, InvalidInputError, NotFoundError, Problem, StaleRecordError
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.core.text import neutral
from himaya.insurance import rules
from himaya.insurance.arrears import arrears as arrears_of
from himaya.insurance.files import read_declaration, read_employers
from himaya.insurance.model import Declared, EmployersRegistered, InsuranceConflictError, PaymentRecorded
from himaya.insurance.ports import InsuranceStore, InsuranceUnitOfWork
from himaya.insurance.rates import month_rates
from himaya.policy.pack import PolicyPack

FIELDS = ("name", "sector", "wilayat")
REFERENCE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,63}$")  # a bank transfer's reference


def register_employers(
    uow: InsuranceUnitOfWork, pack: PolicyPack, raw: pl.DataFrame, *, actor: str, source: str
) -> EmployersRegistered:
    """Add the file's new employers and update those whose name, sector or wilayat changed."""
    who = canonical_actor(actor)
    rows = read_employers(raw, pack, source=source)
    with uow:
        store = uow.insurance
        joined = rows.join(store.employers(), on="cr_number", how="left", suffix="_was")
        new = joined.filter(pl.col("version").is_null()).select("cr_number", *FIELDS)
        differs = pl.any_horizontal([pl.col(f) != pl.col(f"{f}_was") for f in FIELDS])
        changed = joined.filter(pl.col("version").is_not_null() & differs)
        stamp = now()
        store.add_employers(new, stamp=stamp)
        if store.update_employers(changed.select("cr_number", *FIELDS, "version"), stamp=stamp) != changed.height:
            raise StaleRecordError("an employer of the file was changed by someone else meanwhile: register it again")
        changes = [Change("insurance.employer.create", f"employer:{r['cr_number']}", None, r) for r in new.to_dicts()]
        for r in changed.to_dicts():
            fields = [f for f in FIELDS if r[f] != r[f"{f}_was"]]
            before, after = {f: r[f"{f}_was"] for f in fields}, {f: r[f] for f in fields}
            changes.append(Change("insurance.employer.update", f"employer:{r['cr_number']}", before, after))
        uow.audit.record(changes, actor=who)
        uow.commit()
    return EmployersRegistered(rows.height, new.height, changed.height, rows.height - new.height - changed.height)


def check_in_law(pack: PolicyPack, month: Period, what: str) -> None:
    """`what` (a month declared, a day a payment was received) is not before the law's first month."""
    if month < pack.first_period:
        raise InvalidInputError(f"{what} is before {pack.first_period}, the first month of the law in force")


def check_month(pack: PolicyPack, month: Period, today: date) -> None:
    """A month is declared once it has ended: its wages are earned, its days worked all known."""
    check_in_law(pack, month, f"month {month}")
    current = Period.containing(today)
    if month > current:
        raise InvalidInputError(f"month {month} is after the current month: wages are declared once earned")
    if month == current:
        raise InvalidInputError(
            f"month {month} has not ended yet (today is {today}): wages are declared once earned, from"
            f" {month.end + timedelta(days=1)} on"
        )


def declare(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    raw: pl.DataFrame,
    month: Period,
    *,
    actor: str,
    source: str,
    today: date,
    employer: str | None = None,
    correct: bool = False,
    replay: bool = False,
    disclose: bool = True,
) -> Declared:
    """Store the month's declaration of `employer` (or, without it, of each employer of a batch file),
    with its contributions due by branch from the rates of the month. Refused whole, nothing
    written, if any row breaks the contract, names someone not in the registry (or dead before the
    month), or an employer not registered; if a month is declared again without `correct`; or if
    `correct` is asked for a month not yet declared. `replay` (the API's): the same lines again are
    answered as the first time, nothing written (`_same_lines`). `disclose`: say why the registry
    refuses a person (False for a user who may not read the registry: one rule for all)."""
    who = canonical_actor(actor)
    check_month(pack, month, today)
    if raw.height == 0:
        raise InvalidInputError(f"{source}: the table has no rows: a declaration names at least one insured person")
    lines, problems = read_declaration(raw, pack, month, source=source, employer=employer)
    rates = month_rates(pack.parameters, month)
    with uow:
        store = uow.insurance
        ids, insured = _checked(store, lines, problems, month, employer=employer, source=source, disclose=disclose)
        existing = store.declarations(list(ids.values()), month.start)
        if replay and existing.height == len(ids) and _same_lines(store, insured, ids, existing, month):
            wages, due = int(existing["wages"].sum()), int(existing["due"].sum())
            return Declared(month, existing.height, lines.height, wages, due, correct, who, replayed=True)
        _check_revisions(existing, ids, month, correct=correct)
        shares = rules.contributions(
            insured.with_columns((pl.col("nationality") == pack.country).alias("omani")), rates
        )
        keyed = shares.with_columns(pl.col("cr_number").replace_strict(ids, return_dtype=pl.Int64).alias("employer_id"))
        dues = rules.by_branch(keyed, ["employer_id"]).filter(pl.col("total") > 0)
        headers = _headers(keyed, dues, existing)
        _write(store, headers, keyed, dues, month, actor=who, source=source, correct=correct)
        uow.audit.record(_changes(headers, existing, ids, month, correct), actor=who)
        result = Declared(
            month, headers.height, lines.height, int(headers["wages"].sum()), int(headers["due"].sum()), correct, who
        )
        uow.emit(result)
        uow.commit()
    return result


def _checked(
    store: InsuranceStore,
    lines: pl.DataFrame,
    problems: list[Problem],
    month: Period,
    *,
    employer: str | None,
    source: str,
    disclose: bool,
) -> tuple[dict[str, int], pl.DataFrame]:
    """(each employer's id, the lines with what the registry holds of each person); InputTableError
    with every problem of the file and of the registry, NotFoundError for `employer` unregistered."""
    named = [n for n in lines["cr_number"].unique().to_list() if n is not None]
    # The employer given is looked up itself: rows refused by the contract are not in `lines`, and a
    # file of bad rows alone would otherwise read as an unregistered employer, not as its problems.
    ids = store.employer_ids(list(dict.fromkeys([*named, *([employer] if employer is not None else [])])))
    if employer is not None and employer not in ids:
        raise NotFoundError(f"no employer registered with commercial registration number {employer!r}")
    insured = lines.join(store.insured(lines["civil_number"]), on="civil_number", how="left")
    problems = [*problems, *rules.employer_problems(lines, set(ids))]
    problems += rules.person_problems(insured, month.start, month.end, disclose=disclose)
    if problems:
        raise InputTableError(source, problems)
    return ids, insured


def _write(
    store: InsuranceStore,
    headers: pl.DataFrame,
    keyed: pl.DataFrame,
    dues: pl.DataFrame,
    month: Period,
    *,
    actor: str,
    source: str,
    correct: bool,
) -> None:
    """The headers (new, or moved to their next revision if still at the one read), lines and dues."""
    stamp, origin = now(), neutral(source)[:200]
    if correct:
        moved = store.correct_declarations(headers, month=month.start, actor=actor, stamp=stamp, source=origin)
        if moved != headers.height:
            raise StaleRecordError(f"a declaration of {month} was corrected by someone else meanwhile: try again")
    else:
        store.add_declarations(headers, month=month.start, actor=actor, stamp=stamp, source=origin)
    store.add_lines(keyed.select("employer_id", "person_key", "wage", "basic_wage", "days"), dues, month=month.start)


def _same_lines(
    store: InsuranceStore, insured: pl.DataFrame, ids: dict[str, int], existing: pl.DataFrame, month: Period
) -> bool:
    """Are the file's lines exactly the current revision's of every employer it declares for (the
    same persons, wages, basic wages and days, in any order)? Then it is a request sent again."""
    columns = ["employer_id", "person_key", "wage", "basic_wage", "days"]
    sent = insured.with_columns(pl.col("cr_number").replace_strict(ids, return_dtype=pl.Int64).alias("employer_id"))
    held = store.current_lines(existing["employer_id"].to_list(), month.start)
    if held.height != sent.height:
        return False
    return (
        sent.select(columns)
        .cast(dict.fromkeys(columns, pl.Int64))
        .sort(columns)
        .equals(held.select(columns).cast(dict.fromkeys(columns, pl.Int64)).sort(columns))
    )


def _check_revisions(existing: pl.DataFrame, ids: dict[str, int], month: Period, *, correct: bool) -> None:
    numbers = {v: k for k, v in ids.items()}
    declared = sorted(numbers[i] for i in existing["employer_id"].to_list())
    if not correct and declared:
        raise InsuranceConflictError(
            f"{month} is already declared for employer {', '.join(declared[:10])}: a month is declared once; "
            "to replace its lines, declare it again as a correction (--correct on the command line, correct=true in "
            "the API; the earlier lines are kept, no longer counted)"
        )
    missing = sorted(set(ids) - set(declared))
    if correct and missing:
        raise InsuranceConflictError(
            f"{month} is not declared yet for employer {', '.join(missing[:10])}: nothing to correct"
        )


def _headers(keyed: pl.DataFrame, dues: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """employer_id, insured, wages, due and the revision read (null for a first declaration)."""
    totals = keyed.group_by("employer_id").agg(
        pl.len().cast(pl.Int64).alias("insured"), pl.col("wage").sum().alias("wages")
    )
    due = dues.group_by("employer_id").agg(pl.col("total").sum().alias("due"))
    return (
        totals.join(due, on="employer_id", how="left")
        .join(existing.select("employer_id", "revision"), on="employer_id", how="left")
        .with_columns(pl.col("due").fill_null(0))
        .sort("employer_id")
    )


def _changes(
    headers: pl.DataFrame, existing: pl.DataFrame, ids: dict[str, int], month: Period, correct: bool
) -> list[Change]:
    numbers = {v: k for k, v in ids.items()}
    before = {r["employer_id"]: r for r in existing.to_dicts()}
    changes = []
    for row in headers.to_dicts():
        was = before.get(row["employer_id"])
        after = {k: row[k] for k in ("insured", "wages", "due")} | {"revision": (row["revision"] or 0) + 1}
        then = {k: was[k] for k in ("revision", "insured", "wages", "due")} if was else None
        action = "insurance.correct" if correct else "insurance.declare"
        changes.append(Change(action, f"declaration:{numbers[row['employer_id']]}:{month}", then, after))
    return changes


def _check_payment(pack: PolicyPack, amount: int, received_on: date, reference: str, today: date) -> None:
    if amount <= 0:
        raise InvalidInputError("the amount must be more than 0.000")
    if amount > rules.MAX_PAYMENT:
        raise InvalidInputError(
            f"the amount {format_omr(amount, grouped=True)} is more than {format_omr(rules.MAX_PAYMENT, grouped=True)}"
            " OMR, the most one payment may be"
        )
    if received_on > today:
        raise InvalidInputError(f"received on {received_on} is after today ({today})")
    check_in_law(pack, Period.containing(received_on), f"received on {received_on}")
    if not REFERENCE.fullmatch(reference):
        raise InvalidInputError(
            f"the reference {reference!r} must be 1 to 64 letters, digits, dots, dashes, underscores or slashes"
        )


def record_payment(
    uow: InsuranceUnitOfWork,
    pack: PolicyPack,
    *,
    employer: str,
    amount: int,
    received_on: date,
    reference: str,
    actor: str,
    today: date,
) -> PaymentRecorded:
    """A payment received from an employer; a reference it already used, in any case, is refused
    (a payment recorded twice is never counted twice): looked for in the transaction that writes."""
    who = canonical_actor(actor)
    reference = reference.strip()
    _check_payment(pack, amount, received_on, reference, today)
    with uow:
        ids = uow.insurance.employer_ids([employer])
        if employer not in ids:
            raise NotFoundError(f"no employer registered with commercial registration number {employer!r}")
        used = uow.insurance.payment_reference(ids[employer], reference)
        if used is not None:  # the same transfer, whatever the case or spaces it is typed with
            raise InsuranceConflictError(
                f"a payment with reference {reference!r} of this employer is already recorded (as {used!r}):"
                " references are compared without case or spaces, and a payment is recorded once"
            )
        uow.insurance.add_payment(
            ids[employer], received_on=received_on, amount=amount, reference=reference, actor=who, stamp=now()
        )
        after = {"amount": amount, "received_on": received_on.isoformat(), "reference": reference}
        uow.audit.record([Change("insurance.pay", f"employer:{employer}", None, after)], actor=who)
        recorded = PaymentRecorded(employer, amount, reference, who)
        uow.emit(recorded)
        uow.commit()
    return recorded


def contributions(uow: InsuranceUnitOfWork, month: Period | None, employer: str | None = None) -> pl.DataFrame:
    """The contributions due by employer, month and branch (current revisions only)."""
    with uow:
        return uow.insurance.dues(None if month is None else month.start, employer)


def arrears(
    uow: InsuranceUnitOfWork, pack: PolicyPack, on: date, employer: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(each employer's months with what is due, paid, outstanding and the surcharge on `on`; each
    employer's credit) from the declarations and the payments received by then."""
    with uow:
        totals = uow.insurance.month_totals(employer)
        payments = uow.insurance.payments(employer)
    months = {m: month_rates(pack.parameters, Period.containing(m)) for m in totals["month"].unique().to_list()}
    terms = pl.DataFrame(
        {
            "month": list(months),
            "due_date": [r.due for r in months.values()],
            "rate_numerator": [r.surcharge.numerator for r in months.values()],
            "rate_denominator": [r.surcharge.denominator for r in months.values()],
        },
        schema={"month": pl.Date, "due_date": pl.Date, "rate_numerator": pl.Int64, "rate_denominator": pl.Int64},
    )
    return arrears_of(totals.join(terms, on="month"), payments, on)


def career(uow: InsuranceUnitOfWork, civil_number: str) -> pl.DataFrame:
    """The person's declared months (month, cr_number, name, wage, days); NotFoundError if none."""
    with uow:
        found = uow.insurance.career(civil_number)
    if not found.height:
        raise NotFoundError(f"no declared month for civil number {civil_number!r}")
    return found


def employers(uow: InsuranceUnitOfWork) -> pl.DataFrame:
    """The employer register: cr_number, name, sector, wilayat, by cr_number."""
    with uow:
        return uow.insurance.employers().drop("version")
