"""The payroll's pure decisions, property-tested without a database (the fast lane)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.core.errors import InvalidInputError
from himaya.core.periods import Period
from himaya.enrollment.model import EnrollmentStatus
from himaya.enrollment.sync import plan_enrollments
from himaya.payroll.model import DebtStatus, LineKind, LineStatus, Outcome, RunAction, RunState, check_in
from himaya.payroll.rules import (
    FORWARD,
    MakerCheckerError,
    PayrollStateError,
    RecoveryShareError,
    allocate_recoveries,
    canonical_actor,
    changes,
    check_approver,
    check_recovery_share,
    check_transition,
    debtors,
    reissues,
    with_totals,
)
from himaya.policy.pack import PolicyPack
from himaya.policy.packs.iraq import IQD
from himaya.policy.packs.oman import PACK
from himaya.policy.parameters import Parameter

amounts = st.integers(min_value=1, max_value=500_000)
shares = st.fractions(min_value=0, max_value=1, max_denominator=100)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, Fraction]:
    debtors_ = draw(st.integers(1, 4))
    debts = [
        (debt_id, draw(st.integers(1, debtors_)), draw(amounts)) for debt_id in range(1, draw(st.integers(0, 8)) + 1)
    ]
    lines = [(100 + i, draw(st.integers(1, debtors_ + 1)), draw(amounts)) for i in range(draw(st.integers(0, 8)))]
    return (
        pl.DataFrame(debts, schema={"debt_id": pl.Int64, "debtor": pl.Int64, "outstanding": pl.Int64}, orient="row"),
        pl.DataFrame(lines, schema={"line_id": pl.Int64, "payee": pl.Int64, "amount": pl.Int64}, orient="row"),
        draw(shares),
    )


@settings(max_examples=300, deadline=None)
@given(ledgers())
def test_recovery_never_takes_more_than_the_cap_and_conserves_every_baisa(
    ledger: tuple[pl.DataFrame, pl.DataFrame, Fraction],
) -> None:
    debts, lines, share = ledger
    taken = allocate_recoveries(debts, lines, share)
    assert (taken["amount"] > 0).all()
    by_line = taken.group_by("line_id").agg(pl.col("amount").sum()).join(lines, on="line_id", suffix="_paid")
    assert (by_line["amount"] <= by_line["amount_paid"]).all()  # never more than a line pays
    by_debt = taken.group_by("debt_id").agg(pl.col("amount").sum()).join(debts, on="debt_id")
    assert (by_debt["amount"] <= by_debt["outstanding"]).all()  # never more than is owed
    for debtor in set(debts["debtor"]):
        paid = int(lines.filter(pl.col("payee") == debtor)["amount"].sum())
        owed = int(debts.filter(pl.col("debtor") == debtor)["outstanding"].sum())
        mine = taken.join(debts.filter(pl.col("debtor") == debtor), on="debt_id")
        cap = paid * share.numerator // share.denominator
        assert int(mine["amount"].sum()) == min(cap, owed)  # up to the cap, every baisa owed accounted
        # The oldest debt first: a debt takes something only once every older one is settled.
        settled = dict(mine.group_by("debt_id").agg(pl.col("amount").sum()).iter_rows())
        ordered = debts.filter(pl.col("debtor") == debtor).sort("debt_id").iter_rows(named=True)
        still_owed = False
        for row in ordered:
            got = settled.get(row["debt_id"], 0)
            assert not (still_owed and got), "a younger debt took from a line while an older one was owed"
            still_owed = got < row["outstanding"]


def test_recovery_takes_from_the_largest_line_first() -> None:
    debts = pl.DataFrame({"debt_id": [1], "debtor": [7], "outstanding": [10_000]})
    lines = pl.DataFrame({"line_id": [1, 2], "payee": [7, 7], "amount": [20_000, 60_000]})
    taken = allocate_recoveries(debts, lines, Fraction(1, 4))
    assert taken.rows() == [(1, 2, 10_000)]


@settings(deadline=None)
@given(st.booleans(), st.booleans(), st.booleans())
def test_the_debtor_is_the_payee_if_alive_else_the_head_else_nobody(
    payee_alive: bool, has_head: bool, head_alive: bool
) -> None:
    died = date(2026, 1, 5)
    frame = pl.DataFrame(
        {
            "line_id": [1],
            "payee_id": [10],
            "payee_died": [None if payee_alive else died],
            "head_id": [20 if has_head else None],
            "head_died": [None if head_alive else died],
        },
        schema={
            "line_id": pl.Int64,
            "payee_id": pl.Int64,
            "payee_died": pl.Date,
            "head_id": pl.Int64,
            "head_died": pl.Date,
        },
    )
    ((_, debtor, status),) = debtors(frame).rows()
    if payee_alive:
        assert (debtor, status) == (10, DebtStatus.OPEN)
    elif has_head and head_alive:
        assert (debtor, status) == (20, DebtStatus.OPEN)
    else:
        assert (debtor, status) == (10, DebtStatus.UNRECOVERABLE)


def test_a_rejected_line_is_reissued_only_to_another_account() -> None:
    waiting = pl.DataFrame({"line_id": [1, 2, 3], "payee": ["a", "b", "c"], "iban": ["OM1", "OM2", "OM3"]})
    accounts = pl.DataFrame({"person_id": ["a", "b"], "iban": ["OM9", "OM2"], "bank_code": ["018", "018"]})
    assert reissues(waiting, accounts).rows() == [(1, "OM9", "018", "re-issued (was OM1)")]


@pytest.mark.parametrize("action", [RunAction.EXPORT, RunAction.RECONCILE])
def test_export_and_reconcile_are_not_plain_actions(action: RunAction) -> None:
    state = RunState.APPROVED if action == RunAction.EXPORT else RunState.EXPORTED
    with pytest.raises(PayrollStateError, match="only by `himaya payroll"):
        check_transition(action, state)
    assert check_transition(action, state, own_step=True) in (RunState.EXPORTED, RunState.RECONCILED)


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(PayrollStateError, match="no such action 'pay'"):
        check_transition("pay", RunState.APPROVED)


@pytest.mark.parametrize("spelling", ["finance:salim ", " finance:salim", "FINANCE:SALIM", "Finance:Salim"])
def test_maker_checker_compares_canonical_names(spelling: str) -> None:
    with pytest.raises(MakerCheckerError, match="finance:salim submitted this run"):
        check_approver(spelling, created_by="finance:maker", submitted_by="finance:salim")
    with pytest.raises(MakerCheckerError, match="finance:salim calculated this run"):
        check_approver(spelling, created_by="finance:salim", submitted_by="finance:other")
    check_approver(spelling, created_by="finance:maker", submitted_by="finance:other")


def test_a_blank_actor_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="the actor is blank"):
        canonical_actor("  ")


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_the_recovery_share_has_one_set_of_bounds(share: float) -> None:
    with pytest.raises(RecoveryShareError, match="between 0 and 1"):
        check_recovery_share(share)
    assert check_recovery_share(0.25) == Fraction(1, 4)


def test_a_booked_line_only_moves_forward() -> None:
    assert Outcome.REJECTED not in FORWARD[LineStatus.PAID]
    assert Outcome.RETURNED in FORWARD[LineStatus.PAID]  # a return after booking: its own evidence
    assert LineStatus.PENDING not in FORWARD and LineStatus.EXCEPTION not in FORWARD  # never sent


people = st.lists(
    st.tuples(
        st.sampled_from(["child", "elderly", "disability", "widow"]), st.dates(date(1940, 1, 1), date(2026, 1, 31))
    ),
    min_size=1,
    max_size=20,
)


@settings(deadline=None)
@given(people)
def test_enrollment_starts_between_the_first_month_and_the_sync(rows: list[tuple[str, date]]) -> None:
    period = Period(2026, 1)
    entitled = pl.DataFrame(
        [(str(i), p, born, None) for i, (p, born) in enumerate(rows)],
        schema={"person_id": pl.String, "programme": pl.String, "birth_date": pl.Date, "assessed_from": pl.Date},
        orient="row",
    )
    active = pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    starts = PACK.enrollment_starts(PACK.parameters.at(period.start))
    to_enroll, to_end = plan_enrollments(entitled, active, period, first=PACK.first_period, starts=starts)
    assert to_enroll.height == entitled.height and to_end.height == 0
    assert to_enroll["start_month"].is_between(PACK.first_period.start, period.start).all()
    assert (to_enroll["start_month"].dt.day() == 1).all()
    widows = to_enroll.filter(pl.col("programme") == "widow")
    assert (widows["start_month"] == period.start).all()  # no start rule: the month of the application


def test_a_programme_applied_for_is_due_from_the_month_of_the_application() -> None:
    """An application decided late (or granted on appeal) enrolls from its month, not the decision's:
    the months since are arrears. A programme with a start rule of its own keeps it; the floor and
    the ceiling (the pack's first month, the month planned) hold."""
    period = Period(2026, 3)
    schema = {"person_id": pl.String, "programme": pl.String, "birth_date": pl.Date, "assessed_from": pl.Date,
              "applied_on": pl.Date}  # fmt: skip
    entitled = pl.DataFrame(
        [
            ("1", "widow", date(1970, 1, 1), None, date(2026, 1, 5)),
            ("2", "widow", date(1970, 1, 1), None, None),
            ("3", "disability", date(1990, 1, 1), date(2025, 11, 20), date(2026, 1, 5)),
            ("4", "orphan", date(2015, 1, 1), None, date(2019, 4, 1)),
        ],
        schema=schema,
        orient="row",
    )
    active = pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    starts = PACK.enrollment_starts(PACK.parameters.at(period.start))
    plan, _ = plan_enrollments(entitled, active, period, first=PACK.first_period, starts=starts)
    assert dict(zip(plan["person_id"], plan["start_month"], strict=True)) == {
        "1": date(2026, 1, 1), "2": date(2026, 3, 1), "3": date(2025, 11, 1), "4": PACK.first_period.start,
    }  # fmt: skip
    reasons = dict(zip(plan["person_id"], plan["reason"], strict=True))
    assert reasons["1"].endswith("from the month of the application") and "sync" in reasons["2"]


def test_a_reform_of_the_elderly_age_moves_enrollment_too(oman: PolicyPack) -> None:
    """The elderly start month follows `elderly.min_age`, not a number written in shared code."""
    period = Period(2026, 1)
    born = date(1963, 6, 15)  # 62 in 2025-06; 60 in 2023-06
    entitled = pl.DataFrame(
        {"person_id": ["1"], "programme": ["elderly"], "birth_date": [born], "assessed_from": [None]},
        schema={"person_id": pl.String, "programme": pl.String, "birth_date": pl.Date, "assessed_from": pl.Date},
    )
    active = pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    old = oman.parameters["elderly.min_age"]
    reformed = oman.parameters.replaced([old.with_value(date(2024, 1, 1), 62, "a reform")])
    plan, _ = plan_enrollments(
        entitled, active, period, first=Period(2024, 1), starts=oman.enrollment_starts(reformed.at(period.start))
    )
    assert plan["start_month"].to_list() == [date(2025, 6, 1)]
    assert "turns 62" in plan["reason"][0]
    assert isinstance(old, Parameter)


def test_the_migration_checks_exactly_the_enums_values() -> None:
    """Migration 0006 writes the CHECK constraints out; they must say what the enums say."""
    import importlib.util  # noqa: PLC0415 (a migration is a file, not a module of the package)

    import himaya.db  # noqa: PLC0415

    path = Path(himaya.db.__file__).parent / "migrations" / "versions" / "0006_payroll_states.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = {
        "ck_payroll_run_state": check_in("state", RunState),
        "ck_payment_line_status": check_in("status", LineStatus),
        "ck_payment_line_kind": check_in("kind", LineKind),
        "ck_debt_status": check_in("status", DebtStatus),
        "ck_enrollment_status": check_in("status", EnrollmentStatus),
    }
    assert {name: condition for _, name, condition in module.CHECKS} == expected


def test_the_change_list_is_new_stopped_changed_with_reasons_without_a_database() -> None:
    month, before = Period(2026, 3), Period(2026, 2)
    lines = pl.DataFrame(
        {
            "month": [month.start, before.start, month.start, before.start, before.start, month.start],
            "person_id": ["A", "A", "B", "C", "D", "E"],
            "programme": ["child", "child", "elderly", "elderly", "child", "child"],
            "amount": [10_000, 10_000, 115_000, 115_000, 10_000, 30_000],
        },
        schema={"month": pl.Date, "person_id": pl.String, "programme": pl.String, "amount": pl.Int64},
    )
    known = pl.DataFrame(
        {
            "person_id": ["B", "C", "D"],
            "programme": ["elderly", "elderly", "child"],
            "enrollment": ["reached the age", "moved away", "aged out"],
            "death_date": [None, date(2026, 2, 10), None],
        },
        schema={"person_id": pl.String, "programme": pl.String, "enrollment": pl.String, "death_date": pl.Date},
    )
    rows = {r["person_id"]: r for r in changes(lines, known, month).iter_rows(named=True)}
    assert set(rows) == {"B", "C", "D", "E"}  # A is paid the same: no change
    assert (rows["B"]["change"], rows["B"]["reason"]) == ("new", "reached the age")
    assert (rows["C"]["change"], rows["C"]["reason"]) == ("stopped", "died on 2026-02-10")
    assert (rows["D"]["change"], rows["D"]["reason"]) == ("stopped", "aged out")
    assert (rows["E"]["change"], rows["E"]["before"], rows["E"]["unusual"]) == ("new", None, False)
    empty = lines.clear()
    assert changes(empty, known.clear(), month).is_empty()


def test_a_changed_amount_names_both_and_more_than_half_is_unusual() -> None:
    month, before = Period(2026, 3), Period(2026, 2)
    lines = pl.DataFrame(
        {
            "month": [month.start, before.start, month.start, before.start],
            "person_id": ["A", "A", "B", "B"],
            "programme": ["child", "child", "child", "child"],
            "amount": [16_000, 10_000, 14_000, 10_000],
        },
        schema={"month": pl.Date, "person_id": pl.String, "programme": pl.String, "amount": pl.Int64},
    )
    known = pl.DataFrame(
        schema={"person_id": pl.String, "programme": pl.String, "enrollment": pl.String, "death_date": pl.Date}
    )
    rows = {r["person_id"]: r for r in changes(lines, known, month).iter_rows(named=True)}
    assert rows["A"]["reason"] == "from 10.000 to 16.000 OMR" and rows["A"]["unusual"]
    assert rows["B"]["change"] == "changed" and not rows["B"]["unusual"]
    # In the registry's pack's currency: an Iraq registry's amounts are whole dinars.
    dinars = {r["person_id"]: r for r in changes(lines, known, month, currency=IQD).iter_rows(named=True)}
    assert dinars["A"]["reason"] == "from 10000 to 16000 IQD"


def test_the_report_totals_sum_every_figure() -> None:
    report = pl.DataFrame(
        {
            "programme": ["child", "elderly"],
            "governorate": ["Muscat", None],
            "beneficiaries": [2, 3],
            "amount": [20_000, 345_000],
            "recovered": [0, 5_000],
            "exceptions": [1, 0],
        }
    )
    assert with_totals(report).row(-1) == ("total", None, 5, 365_000, 5_000, 1)
