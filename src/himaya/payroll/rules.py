"""The payroll's decisions, pure (no storage): the run's state machine, who approves, who repays a
debt, how much is recovered from which line, which rejected lines go out again, and how far a bank's
answer may move a line.

calculated -> submitted -> approved -> exported -> reconciled -> closed. Until it is submitted a
run can be calculated again; once approved it cannot change. A run becomes exported only through the
export (which writes the files) and reconciled only through a bank's answer (once no line waits for
the bank): neither is an action of its own. The approver neither calculated nor submitted the run.
"""

from __future__ import annotations

import hashlib
from datetime import date
from fractions import Fraction

import polars as pl

from himaya.core.audit import canonical_actor
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError
from himaya.core.money import OMR, Currency
from himaya.core.periods import Period
from himaya.payroll.model import DebtStatus, LineStatus, Outcome, RunAction, RunState
from himaya.policy.table import money_text

NEXT = {
    RunAction.SUBMIT: (RunState.CALCULATED, RunState.SUBMITTED),
    RunAction.APPROVE: (RunState.SUBMITTED, RunState.APPROVED),
    RunAction.EXPORT: (RunState.APPROVED, RunState.EXPORTED),
    RunAction.RECONCILE: (RunState.EXPORTED, RunState.RECONCILED),
    RunAction.CLOSE: (RunState.RECONCILED, RunState.CLOSED),
}
OWN_STEP = {RunAction.EXPORT: "himaya payroll export", RunAction.RECONCILE: "himaya payroll reconcile"}

# The most of a debtor's monthly payment deducted for debts: one bound and one default for the
# terminal and the API. Above 0 (0 would be no recovery: say so with no debt, not a share) and
# at most the whole payment.
RECOVERY_SHARE_DEFAULT = 0.25
RECOVERY_SHARE_MIN, RECOVERY_SHARE_MAX = 0.0, 1.0


class PayrollStateError(ConflictError):
    """An action the run's state does not allow."""


class MakerCheckerError(ForbiddenError):
    """The user who calculated or submitted a run tried to approve it."""


class RecoveryShareError(InvalidInputError):
    """A recovery share outside its bounds."""


def check_transition(action: str, state: str, *, own_step: bool = False) -> RunState:
    """The state after `action`, or why the action is not allowed now. Export and reconcile are
    refused unless `own_step` (the export writing its files, a bank answer settling the run)."""
    try:
        step = RunAction(action)
    except ValueError:
        raise PayrollStateError(f"no such action {action!r}: one of {', '.join(RunAction)}") from None
    if step in OWN_STEP and not own_step:
        raise PayrollStateError(f"a run is {NEXT[step][1]} only by `{OWN_STEP[step]}`, not as a plain action")
    before, after = NEXT[step]
    if state != before:
        raise PayrollStateError(f"cannot {step} a run that is {state}: it must be {before}")
    return after


def check_approver(approver: str, *, created_by: str | None, submitted_by: str | None) -> None:
    """Maker-checker: the approver neither submitted nor calculated the run (names compared canonically)."""
    who = canonical_actor(approver)
    for did, maker in (("submitted", submitted_by), ("calculated", created_by)):
        if maker is not None and canonical_actor(maker) == who:
            raise MakerCheckerError(f"{who} {did} this run and cannot approve it: another user must (maker-checker)")


def valid_iban(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 alphanumerics, and the number mod 97 is 1."""
    if not (5 <= len(iban) <= 34 and iban[:2].isalpha() and iban[:2].isupper() and iban[2:4].isdigit()):
        return False
    if not iban[4:].isalnum() or not iban.isascii():
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def check_recovery_share(share: float) -> Fraction:
    """The share as an exact fraction, or why it cannot be used."""
    if not RECOVERY_SHARE_MIN <= share <= RECOVERY_SHARE_MAX:
        raise RecoveryShareError(
            f"the recovery share must be between {RECOVERY_SHARE_MIN:g} and {RECOVERY_SHARE_MAX:g}, not {share}"
        )
    return Fraction(share).limit_denominator(10_000)


def debtors(overpaid: pl.DataFrame) -> pl.DataFrame:
    """Who repays each overpaid line: the payee if alive, else the head of the beneficiary's family
    if alive, else nobody (the debt is unrecoverable, recorded against the payee).

    `overpaid`: line_id, payee_id, payee_died (Date or null), head_id (or null), head_died.
    Returns line_id, debtor, status."""
    payee_alive = pl.col("payee_died").is_null()
    head_alive = pl.col("head_id").is_not_null() & pl.col("head_died").is_null()
    return overpaid.select(
        "line_id",
        pl.when(~payee_alive & head_alive).then(pl.col("head_id")).otherwise(pl.col("payee_id")).alias("debtor"),
        pl.when(payee_alive | head_alive)
        .then(pl.lit(DebtStatus.OPEN.value))
        .otherwise(pl.lit(DebtStatus.UNRECOVERABLE.value))
        .alias("status"),
    )


def allocate_recoveries(debts: pl.DataFrame, lines: pl.DataFrame, share: Fraction) -> pl.DataFrame:
    """What each open debt takes from each of the debtor's lines this month.

    `debts`: debt_id, debtor, outstanding (baisa); `lines`: line_id, payee, amount (baisa, this
    month's pending lines). A debtor gives at most `share` of what they are paid this month
    (rounded down to the baisa), oldest debt (smallest id) first, largest line first. Returns
    debt_id, line_id, amount (> 0).

    As intervals on one axis per debtor: line i covers [C(i-1), C(i)) with C the running sum of
    the lines' amounts capped at the room, debt j covers [D(j-1), D(j)) with D the running sum of
    what is owed; a debt takes from a line their overlap. Every baisa taken is owed and paid."""
    room = lines.group_by("payee").agg(((pl.col("amount").sum() * share.numerator) // share.denominator).alias("room"))
    covered = (
        lines.sort(["payee", "amount", "line_id"], descending=[False, True, False])
        .join(room, on="payee")
        .with_columns(pl.min_horizontal(pl.col("amount").cum_sum().over("payee"), pl.col("room")).alias("line_to"))
        .with_columns(pl.col("line_to").shift(1, fill_value=0).over("payee").alias("line_from"))
        .select("line_id", pl.col("payee").alias("debtor"), "line_from", "line_to")
    )
    owed = (
        debts.sort(["debtor", "debt_id"])
        .with_columns(pl.col("outstanding").cum_sum().over("debtor").alias("debt_to"))
        .with_columns((pl.col("debt_to") - pl.col("outstanding")).alias("debt_from"))
    )
    overlap = pl.min_horizontal("line_to", "debt_to") - pl.max_horizontal("line_from", "debt_from")
    return (
        owed.join(covered, on="debtor")
        .select("debt_id", "line_id", overlap.cast(pl.Int64).alias("amount"))
        .filter(pl.col("amount") > 0)
        .sort("debt_id", "line_id")
    )


def debts(overpaid: pl.DataFrame) -> pl.DataFrame:
    """The debts the overpaid lines become (`debtors` says who owes each): line_id, amount, reason,
    debtor, status. `overpaid` as for `debtors`, with amount, civil (the beneficiary's civil
    number), died and month."""
    reason = pl.format("paid for {} to {}, who died on {}", pl.col("month").dt.strftime("%Y-%m"), "civil", "died")
    return overpaid.select("line_id", "amount", reason.alias("reason")).join(debtors(overpaid), on="line_id")


def adult_from(month_start: date, age_of_majority: int) -> date:
    """Born on or before this day: of age (the pack's age of majority) on the first day of the month."""
    return month_start.replace(year=month_start.year - age_of_majority)


def in_force(entitled: pl.DataFrame, enrollments: pl.DataFrame) -> pl.DataFrame:
    """The entitlements (person_id, programme, month, ...) whose enrollment is in force in their month."""
    return (
        entitled.join(enrollments, on=["person_id", "programme"])
        .filter(
            (pl.col("start_month") <= pl.col("month"))
            & (pl.col("end_month").is_null() | (pl.col("end_month") >= pl.col("month")))
        )
        .select(entitled.columns)
    )


def enrolled_in(enrollments: pl.DataFrame, month: date) -> pl.DataFrame:
    """person_id, programme of the enrollments (with start_month, end_month) in force in `month`."""
    return enrollments.filter(
        (pl.col("start_month") <= month) & (pl.col("end_month").is_null() | (pl.col("end_month") >= month))
    ).select("person_id", "programme")


def by_exception(
    exceptions: pl.DataFrame, entitled: pl.DataFrame, enrolled: pl.DataFrame, people: pl.DataFrame, month: Period
) -> pl.DataFrame:
    """What a supervisor's exceptions pay in `month`: their amount, for each person and programme whose
    exception is in force in the month and whose enrollment is (`enrolled`: person_id, programme),
    where the rules do not pay the person that programme (`entitled`: where they do, the rules'
    amount, never both), to the living (not dead by the month's end). One per person and programme:
    person_id, family_id, programme, month, amount, exception_case.

    `exceptions`: person_id, programme, from_month, until_month, amount, exception_case; `people`:
    person_id, family_id, death_date, the registry in the month."""
    pair = ["person_id", "programme"]
    alive = people.filter(pl.col("death_date").is_null() | (pl.col("death_date") > month.end))
    return (
        exceptions.filter((pl.col("from_month") <= month.start) & (pl.col("until_month") >= month.start))
        .join(enrolled.select(pair), on=pair, how="semi")
        .join(entitled.filter(pl.col("amount") > 0).select(pair), on=pair, how="anti")
        .join(alive.select("person_id", "family_id"), on="person_id")
        .sort("exception_case")
        .unique(pair, keep="last", maintain_order=True)
        .select("person_id", "family_id", "programme", pl.lit(month.start).alias("month"), "amount", "exception_case")
    )


def seal(lines: pl.DataFrame) -> str:
    """SHA-256 of the run's lines (every field a transfer is made of, in end-to-end order): written at
    approval (and into the audit chain), checked again before the export."""
    return hashlib.sha256(lines.write_csv().encode()).hexdigest()


def reissues(waiting: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Rejected or returned lines whose payee now has another account: line_id, iban, bank_code, reason.

    `waiting`: line_id, payee (civil number), iban (the account it failed on); `accounts`:
    person_id, iban, bank_code (today's)."""
    now = accounts.select("person_id", pl.col("iban").alias("new_iban"), "bank_code")
    return (
        waiting.join(now, left_on="payee", right_on="person_id")
        .filter(pl.col("new_iban").is_not_null() & (pl.col("new_iban") != pl.col("iban").fill_null("")))
        .select(
            "line_id",
            pl.col("new_iban").alias("iban"),
            "bank_code",
            pl.format("re-issued (was {})", pl.col("iban").fill_null("no account")).alias("reason"),
        )
    )


# How far a bank's answer may move a line: forward only. A booked (paid) line is never rejected by
# a later answer; a return after booking is its own path (a camt.054 return entry).
FORWARD: dict[LineStatus, frozenset[Outcome]] = {
    LineStatus.EXPORTED: frozenset({Outcome.PAID, Outcome.REJECTED, Outcome.RETURNED, Outcome.PENDING}),
    LineStatus.PAID: frozenset({Outcome.PAID, Outcome.RETURNED}),
    LineStatus.REJECTED: frozenset({Outcome.REJECTED}),
    LineStatus.RETURNED: frozenset({Outcome.RETURNED}),
}


def changes(lines: pl.DataFrame, known: pl.DataFrame, period: Period, *, currency: Currency = OMR) -> pl.DataFrame:
    """Regular lines (month, person_id, programme, amount) of `period` against the month before:
    new, stopped and changed, per person and programme, with a reason: a death, the enrollment's
    own reason (start or end, from `known`: person_id, programme, enrollment, death_date), or the
    amounts in `currency` (the registry's pack's: "from 198.261 to 304.261 OMR", "from 175000 to
    225000 IQD"), and the case of a supervisor's exception that pays it (`lines`' optional `exception`);
    `unusual` when an amount moved by more than half."""
    known = known.unique(["person_id", "programme"], keep="last")
    excepted = ["exception"] if "exception" in lines.columns else []  # the case of a line an exception pays
    now_ = lines.filter(pl.col("month") == period.start).select(
        "person_id", "programme", pl.col("amount").alias("now"), *excepted
    )
    before = lines.filter(pl.col("month") == period.shifted(-1).start).select(
        "person_id", "programme", pl.col("amount").alias("before")
    )
    joined = now_.join(before, on=["person_id", "programme"], how="full", coalesce=True).join(
        known, on=["person_id", "programme"], how="left"
    )
    change = (
        pl.when(pl.col("before").is_null())
        .then(pl.lit("new"))
        .when(pl.col("now").is_null())
        .then(pl.lit("stopped"))
        .when(pl.col("now") != pl.col("before"))
        .then(pl.lit("changed"))
    )
    died = pl.col("death_date").is_not_null() & (pl.col("death_date") < pl.lit(period.start))
    reason = (
        pl.when(change == "changed")
        .then(
            pl.format(
                f"from {{}} to {{}} {currency.code}",
                money_text(pl.col("before"), currency),
                money_text(pl.col("now"), currency),
            )
        )
        .when(died)
        .then(pl.format("died on {}", pl.col("death_date").cast(pl.String)))
        .otherwise(pl.col("enrollment"))
    )
    if excepted:
        paid_by = pl.format("paid by exception {}", pl.col("exception"))
        reason = (
            pl.when(pl.col("exception").is_null())
            .then(reason)
            .otherwise(pl.concat_str(reason, pl.lit("; "), paid_by, ignore_nulls=True))
        )
    unusual = (pl.col("before") > 0) & ((pl.col("now") - pl.col("before")).abs() > pl.col("before") // 2)
    return (
        joined.with_columns(change.alias("change"), reason.alias("reason"), unusual.fill_null(False).alias("unusual"))
        .filter(pl.col("change").is_not_null())
        .select("person_id", "programme", "before", "now", "change", "reason", "unusual")
        .sort("change", "programme", "person_id")
    )


def with_totals(report: pl.DataFrame) -> pl.DataFrame:
    """The report with a last row, programme "total", summing its figures (beneficiaries: one per
    person and programme, as in the rows)."""
    totals = report.select(
        pl.lit("total").alias("programme"),
        pl.lit(None, pl.String).alias("governorate"),
        *(pl.col(c).sum().cast(pl.Int64) for c in ("beneficiaries", "amount", "recovered", "exceptions")),
    )
    return pl.concat([report, totals])
