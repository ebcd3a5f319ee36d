"""A supervisor's override that holds, on both databases: the override of a stopped benefit's appeal
records an exception (from the month it stopped until the review month, with the amount the
supervisor states) in the grant's transaction; the payroll pays its amount, as arrears since its
first month and then monthly, once, each line naming the case; the sync keeps the enrollment while it
is in force and ends it (a stop decision, told) the month after; where the rules find the person
entitled again, the rules' amount is paid, never both. Bad terms, a user who is not a supervisor
and a stale version are refused with nothing written, and a supervisor ends one early."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from himaya.bootstrap import payroll
from himaya.cases import exceptions
from himaya.core.access import Principal, Scope
from himaya.core.errors import ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.periods import Period
from himaya.db.tables import payment_line, person
from tests.cases import test_appeals
from tests.cases.conftest import Branches
from tests.cases.flows import PACK, decide, users
from tests.cases.test_stops import _appeal, _card, _enrolled_then_stopped, _enrollment

ours = test_appeals.ours

GRANTED = date(2026, 3, 3)
HOLDS = {"override": "committee minutes 3/2026", "override_until": "2026-04", "override_amount": "100.000"}


def _lines(b: Branches) -> list[tuple[str, str, int, str | None]]:
    """The disability lines of the applicant: month, kind, amount (baisa), the exception's case."""
    with b.engine.connect() as connection:
        found = connection.execute(
            select(payment_line.c.month, payment_line.c.kind, payment_line.c.amount, payment_line.c.exception_case)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(person.c.civil_number == b.here["person_id"], payment_line.c.programme == "disability")
            .order_by(payment_line.c.month)
        ).all()
    return [(f"{r[0]:%Y-%m}", r[1], r[2], r[3]) for r in found]


def _granted(b: Branches, **terms: Any) -> tuple[str, str, Any]:
    """A stop appealed and granted by override (the card still lapsed): (stop, appeal, the grant)."""
    stop = _enrolled_then_stopped(b)
    appeal = _appeal(b, stop, day=date(2026, 2, 10))
    return stop, appeal, decide(b, appeal, "granted", 2, day=GRANTED, reason="the committee decided", **terms)


def _sync(b: Branches, month: Period) -> Any:
    return payroll.sync_enrollments(b.engine, PACK, month, actor="officer", today=month.start)


def _stops(b: Branches) -> list[str]:
    """The applicant's stop decisions (others of the registry may stop in the same syncs)."""
    return [
        c["number"] for c in b.rows("case_file")
        if c["type"] == "benefit_stop" and c["civil_number"] == b.here["person_id"]
    ]  # fmt: skip


def test_an_override_holds_in_the_payroll_and_the_sync_until_its_review_month(ours: Branches) -> None:
    stop, appeal, granted = _granted(ours, **HOLDS)
    assert granted.wrote["exception"] | {"exception": 0} == {
        "exception": 0, "person": ours.here["person_id"], "programme": "disability", "from": "2026-02",
        "until": "2026-04", "amount": "100.000",
    }  # fmt: skip
    audit = [e for e in ours.rows("audit_entry") if e["action"] == "case.exception"]
    assert len(audit) == 1 and appeal in audit[0]["after"]
    for _ in range(2):  # calculated twice: February's arrears and March paid once, by exception
        payroll.calculate(ours.engine, PACK, Period(2026, 3), actor="maker")
        assert _lines(ours) == [
            ("2026-01", "regular", 130_000, None),
            ("2026-02", "arrears", 100_000, appeal),
            ("2026-03", "regular", 100_000, appeal),
        ]
    assert "paid by exception " + appeal in payroll_reason(ours, Period(2026, 3))
    for month in (Period(2026, 3), Period(2026, 4)):  # in force: the sync keeps the enrollment, decides nothing
        _sync(ours, month)
        assert (_enrollment(ours), _stops(ours)) == ([("2026-01-01", "active", None)], [stop])
    payroll.calculate(ours.engine, PACK, Period(2026, 4), actor="maker")
    assert _lines(ours)[-1] == ("2026-04", "regular", 100_000, appeal)
    # The month after its review month: ended as usual, a stop decision told; the payroll pays nothing more.
    assert _sync(ours, Period(2026, 5)).decisions >= 1
    assert _enrollment(ours) == [("2026-01-01", "ended", "2026-04-01")]
    payroll.calculate(ours.engine, PACK, Period(2026, 5), actor="maker")
    assert [m for m, *_ in _lines(ours)] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    stops = _stops(ours)
    assert stops[0] == stop and len(stops) == 2  # February's, and May's after the review month


def payroll_reason(b: Branches, month: Period) -> str:
    """The reasons `payroll diff` gives for the applicant's lines of the month."""
    changes = payroll.diff(b.engine, month)
    return " | ".join(changes.filter(changes["person_id"] == b.here["person_id"])["reason"].to_list())


def test_the_rules_entitling_the_person_again_pay_their_amount_never_both(ours: Branches) -> None:
    _, appeal, _ = _granted(ours, **HOLDS | {"override_until": "2026-12"})
    _card(ours, lapsed=False)  # the registry corrected: the rules find the person entitled again
    for _ in range(2):
        payroll.calculate(ours.engine, PACK, Period(2026, 3), actor="maker")
        assert _lines(ours) == [
            ("2026-01", "regular", 130_000, None),
            ("2026-02", "arrears", 130_000, None),
            ("2026-03", "regular", 130_000, None),
        ]
    assert "paid by exception" not in payroll_reason(ours, Period(2026, 3)) and appeal in payroll_reason(
        ours, Period(2026, 3)
    )


def _nothing_written(b: Branches, stop: str) -> tuple[Any, ...]:
    cases = {c["number"]: (c["version"], c["reversed_by"]) for c in b.rows("case_file")}
    return _enrollment(b), len(b.rows("audit_entry")), b.rows("benefit_exception"), cases


@pytest.mark.parametrize(
    ("terms", "error", "said"),
    [
        ({"override_until": None}, InvalidInputError, "override_until: required with an override"),
        ({"override_amount": ""}, InvalidInputError, "override_amount: required with an override"),
        ({"override_amount": "130.001"}, InvalidInputError,
         r"override_amount: 130.001 OMR is more than the disability benefit's rules pay anyone \(130.000 OMR"),
        ({"override_amount": "12.3456"}, InvalidInputError, "override_amount: '12.3456' has more than 3 decimals"),
        ({"override_amount": "0.000"}, InvalidInputError, "override_amount: 0.000 pays nothing"),
        ({"override_until": "2026-02"}, InvalidInputError, r"override_until: 2026-02 is before this month \(2026-03\)"),
        ({"override_until": "2027-04"}, InvalidInputError, "more than 12 months ahead .*: at most 2027-03"),
        ({"override_until": "April"}, InvalidInputError, "override_until: period 'April' is not a month"),
        ({"override": None}, InvalidInputError, "override_until: only with an override"),
        ({"principal": "committee"}, ForbiddenError, "only a supervisor may override"),
        ({"version": 1}, StaleRecordError, "is at version 2, not 1"),
    ],
)  # fmt: skip
def test_bad_terms_a_committee_and_a_stale_version_are_refused_with_nothing_written(
    ours: Branches, terms: dict[str, Any], error: type[Exception], said: str
) -> None:
    stop = _enrolled_then_stopped(ours)
    appeal = _appeal(ours, stop, day=date(2026, 2, 10))
    before = _nothing_written(ours, stop)
    given = {**HOLDS, "override_until": "2026-12"} | terms
    version = given.pop("version", 2)
    if given.pop("principal", None):  # permissions are data: a committee may decide, not override the rules
        granted = frozenset({"case.read", "case.work", "case.decide"})
        given["principal"] = Principal("nasser", frozenset({"committee"}), granted,
                                       (Scope("wilayat", ours.here["wilayat"]),))  # fmt: skip
    with pytest.raises(error, match=said):
        decide(ours, appeal, "granted", version, day=GRANTED, reason="valid", **given)
    assert _nothing_written(ours, stop) == before
    assert before[0] == [("2026-01-01", "ended", "2026-01-01")] and before[2] == []


def test_a_supervisor_ends_an_exception_early_and_the_next_sync_ends_the_enrollment(ours: Branches) -> None:
    _, appeal, granted = _granted(ours, **HOLDS | {"override_until": "2026-12"})
    number = granted.wrote["exception"]["exception"]
    wafa, _, huda = users(ours)
    listed = exceptions.in_force(ours.uow(), huda, Period(2026, 3))
    assert [(e["id"], e["case_number"], e["amount"], e["version"]) for e in listed] == [(number, appeal, 100_000, 1)]
    assert exceptions.in_force(ours.uow(), huda, Period(2027, 1)) == []  # past its review month
    end = {"reason": "the card was renewed", "principal": huda, "today": date(2026, 3, 10)}
    with pytest.raises(ForbiddenError, match="only a supervisor may end an exception"):
        exceptions.end(ours.uow(), number, last="2026-03", expected_version=1, **end | {"principal": wafa})
    with pytest.raises(InvalidInputError, match="last: 2026-01 is not between 2026-02"):
        exceptions.end(ours.uow(), number, last="2026-01", expected_version=1, **end)
    for last in ("2026-12", "2027-03"):  # until 2026-12: it pays 2026-11 at the latest
        with pytest.raises(InvalidInputError, match=rf"last: {last} is not between 2026-02 .* and 2026-11 \(the"):
            exceptions.end(ours.uow(), number, last=last, expected_version=1, **end)
    with pytest.raises(StaleRecordError, match=r"^version 2 does not exist: the exception is at version 1$"):
        exceptions.end(ours.uow(), number, last="2026-03", expected_version=2, **end)
    with pytest.raises(NotFoundError, match="no exception 999"):
        exceptions.end(ours.uow(), 999, last="2026-03", expected_version=1, **end)
    assert exceptions.end(ours.uow(), number, last="2026-03", expected_version=1, **end) == {
        "exception": number, "until": "2026-03", "version": 2,
    }  # fmt: skip
    with pytest.raises(StaleRecordError, match="changed since version 1"):
        exceptions.end(ours.uow(), number, last="2026-03", expected_version=1, **end)
    assert [e["action"] for e in ours.rows("audit_entry")][-1] == "case.exception_end"
    _sync(ours, Period(2026, 4))
    assert _enrollment(ours) == [("2026-01-01", "ended", "2026-03-01")] and len(_stops(ours)) == 2
