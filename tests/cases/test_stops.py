"""A benefit stopped by the monthly sync, on both databases: the ending is recorded as a decision (a
`benefit_stop` case) with the rules' reason in English and Arabic, and the person is told in the same
transaction, with the last day to appeal; an appeal against it, granted, restores the enrollment from
the month it stopped, once, so the next payroll pays the months since as arrears once; a person the
rules still do not find entitled is restored only by a supervisor's override; dismissed, nothing
changes."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from himaya.bootstrap import payroll
from himaya.cases import actions
from himaya.cases.applications import NotEntitledError
from himaya.cases.model import NewCase
from himaya.core.access import Role
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, StaleRecordError
from himaya.core.periods import Period
from himaya.db.tables import disability, payment_line, person
from tests.cases import test_appeals
from tests.cases.conftest import Branches, user
from tests.cases.flows import CATALOGUE, PACK, decide, move, open_case, prepared, rows, users
from tests.cases.test_appeals import DECIDED, DISABILITY

ours = test_appeals.ours  # the fixture: an Omani family head of working age, the applicant

JANUARY, FEBRUARY, MARCH = (Period(2026, m) for m in (1, 2, 3))
# January paid in January's run; restored from February: February's arrears and March paid in March's.
PAID = [(date(2026, 1, 1), "regular"), (date(2026, 2, 1), "arrears"), (date(2026, 3, 1), "regular")]


def _enrolled_then_stopped(b: Branches) -> str:
    """The applicant approved for the disability benefit in January (enrolled from January), whose card
    the registry then records as lapsed from February: February's sync ends the enrollment. The
    number of the stop decision."""
    number = prepared(b, "application", DISABILITY, day=DECIDED, through=("in_review", "prepared"))
    decide(b, number, "approved", 3, day=DECIDED, reason="card and category hold")
    payroll.sync_enrollments(b.engine, PACK, JANUARY, actor="officer", today=JANUARY.start)
    payroll.calculate(b.engine, PACK, JANUARY, actor="maker")
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        payroll.transition(b.engine, JANUARY, action, actor=actor)
    _card(b, lapsed=True)
    synced = payroll.sync_enrollments(b.engine, PACK, FEBRUARY, actor="officer", today=date(2026, 2, 1))
    assert synced.ended >= 1 and synced.decisions == synced.ended
    return next(c["number"] for c in b.rows("case_file") if c["type"] == "benefit_stop"
                and c["civil_number"] == b.here["person_id"])  # fmt: skip


def _card(b: Branches, *, lapsed: bool) -> None:
    """The applicant's card lapsed from 1 February (a new assessment row), or that row taken back."""
    with b.engine.begin() as connection:
        key = connection.execute(select(person.c.id).where(person.c.civil_number == b.here["person_id"])).scalar_one()
        mine = disability.c.person_id == key
        if lapsed:
            connection.execute(update(disability).where(mine, disability.c.valid_to.is_(None)).values(
                valid_to=FEBRUARY.start))  # fmt: skip
            connection.execute(insert(disability).values(person_id=key, category="physical", card=False,
                                                         valid_from=FEBRUARY.start))  # fmt: skip
        else:
            connection.execute(disability.delete().where(mine, disability.c.valid_from == FEBRUARY.start))
            connection.execute(update(disability).where(mine).values(valid_to=None))


def _enrollment(b: Branches) -> list[tuple[str, str, str | None]]:
    return [
        (str(e["start_month"]), e["status"], str(e["end_month"]) if e["end_month"] else None)
        for e in rows(b, "enrollment", b.here["person_id"])
        if e["programme"] == "disability"
    ]


def _appeal(b: Branches, stop: str, *, day: date) -> str:
    appeal = open_case(b, "appeal", {"decision": stop, "grounds": "the card was renewed in time"}, day=day)
    move(b, appeal, "committee", 1, day=day)
    return appeal


def _lines(b: Branches) -> list[tuple[date, str]]:
    with b.engine.connect() as connection:
        found = connection.execute(
            select(payment_line.c.month, payment_line.c.kind)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(person.c.civil_number == b.here["person_id"], payment_line.c.programme == "disability")
            .order_by(payment_line.c.month)
        ).all()
    return [tuple(r) for r in found]  # type: ignore[misc]


def test_a_stopped_benefit_is_a_decision_told_with_its_reason_and_the_last_day_to_appeal(ours: Branches) -> None:
    stop = _enrolled_then_stopped(ours)
    assert _enrollment(ours) == [("2026-01-01", "ended", "2026-01-01")]
    case = next(c for c in ours.rows("case_file") if c["number"] == stop)
    assert (case["state"], case["decision"], case["channel"], case["closed_at"] is not None) == (
        "closed", "stopped", "partner", True,
    )  # fmt: skip
    form = json.loads(case["form"])
    assert form["programme"] == "disability" and form["stopped_from"] == "2026-02-01"
    assert form["reason_en"] == "holds a valid disability card" and form["reason_ar"] == "يحمل بطاقة إعاقة سارية"
    told = [m for m in ours.rows("notification_outbox") if m["case_id"] == case["id"]]
    assert len(told) == 1 and told[0]["state"] == "pending" and told[0]["recipient"] == ours.here["person_id"]
    body = told[0]["body"]
    assert stop in body and "يحمل بطاقة إعاقة سارية" in body and "2026-02" in body
    assert "2026-03-03" in body  # 30 days from the sync's day, 1 February: the last day to appeal
    sync = [e for e in ours.rows("audit_entry") if e["action"] == "enrollment.sync"][-1]
    assert json.loads(sync["after"])["decisions"] == 1
    # February's sync again ends nothing more: no second decision.
    assert payroll.sync_enrollments(ours.engine, PACK, FEBRUARY, actor="officer", today=date(2026, 2, 1)).decisions == 0


def test_a_granted_appeal_restores_the_enrollment_and_the_payroll_pays_the_months_since_once(ours: Branches) -> None:
    stop = _enrolled_then_stopped(ours)
    payroll.calculate(ours.engine, PACK, FEBRUARY, actor="maker")
    assert _lines(ours) == [(date(2026, 1, 1), "regular")]
    appeal = _appeal(ours, stop, day=date(2026, 2, 10))
    _card(ours, lapsed=False)  # the renewal was in time: the registry corrected, the rules find the person entitled
    granted = decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="the card was renewed in time")
    assert granted.wrote == {"reverses": stop, "decision": "stopped", "restores": "disability", "from": "2026-02-01"}
    assert granted.rules["entitled"]
    assert _enrollment(ours) == [("2026-01-01", "active", None)]
    for _ in range(2):  # calculated twice: the same lines
        payroll.calculate(ours.engine, PACK, MARCH, actor="maker")
        assert _lines(ours) == [
            (date(2026, 1, 1), "regular"),
            (date(2026, 2, 1), "arrears"),
            (date(2026, 3, 1), "regular"),
        ]
    payroll.sync_enrollments(ours.engine, PACK, MARCH, actor="officer", today=date(2026, 3, 4))
    assert _enrollment(ours) == [("2026-01-01", "active", None)]
    with pytest.raises(ConflictError, match=f"case {stop}'s decision was reversed already, by appeal {appeal}"):
        open_case(ours, "appeal", {"decision": stop, "grounds": "again"}, day=date(2026, 3, 3))


def test_restoring_a_person_the_rules_do_not_find_entitled_needs_a_supervisors_override(ours: Branches) -> None:
    stop = _enrolled_then_stopped(ours)
    appeal = _appeal(ours, stop, day=date(2026, 2, 10))
    before = (_enrollment(ours), len(ours.rows("audit_entry")))
    with pytest.raises(NotEntitledError, match="holds a valid disability card"):
        decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid")
    assert (_enrollment(ours), len(ours.rows("audit_entry"))) == before
    assert {c["number"]: c["reversed_by"] for c in ours.rows("case_file")}[stop] is None
    granted = decide(
        ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid", override="committee minutes 3",
        override_until="2026-12", override_amount="130.000",
    )  # fmt: skip
    assert granted.rules["override"] == "committee minutes 3" and not granted.rules["entitled"]
    assert _enrollment(ours) == [("2026-01-01", "active", None)]


def test_a_dismissed_appeal_changes_nothing_and_the_higher_committee_may_restore(ours: Branches) -> None:
    stop = _enrolled_then_stopped(ours)
    appeal = _appeal(ours, stop, day=date(2026, 2, 10))
    decide(ours, appeal, "dismissed", 2, day=date(2026, 2, 12), reason="no renewal shown")
    assert _enrollment(ours) == [("2026-01-01", "ended", "2026-01-01")]
    move(ours, appeal, "higher_committee", 3, day=date(2026, 2, 15))
    _card(ours, lapsed=False)
    final = decide(ours, appeal, "granted_final", 4, day=date(2026, 3, 3))
    assert final.wrote is not None and final.wrote["restores"] == "disability"
    assert _enrollment(ours) == [("2026-01-01", "active", None)]


def test_two_committees_granting_at_once_restore_once(ours: Branches) -> None:
    if ours.engine.dialect.name != "postgresql":
        pytest.skip("two transactions at once: PostgreSQL")
    stop = _enrolled_then_stopped(ours)
    appeal = _appeal(ours, stop, day=date(2026, 2, 10))
    _card(ours, lapsed=False)
    outcomes: list[Any] = []
    start = threading.Barrier(2)

    def grant() -> None:
        start.wait()
        try:
            outcomes.append(decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="renewed"))
        except (ConflictError, StaleRecordError) as error:
            outcomes.append(error)

    threads = [threading.Thread(target=grant) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) in (["Moved", "StaleRecordError"], ["ConflictError", "Moved"])
    assert _enrollment(ours) == [("2026-01-01", "active", None)]
    reversals = [e for e in ours.rows("audit_entry") if e["action"] == "case.reverse"]
    assert len(reversals) == 1
    payroll.calculate(ours.engine, PACK, MARCH, actor="maker")
    assert _lines(ours) == PAID


def test_nobody_records_a_stop_decision_by_hand(ours: Branches) -> None:
    """Only the sync writes them: the type's opening role holds no case.open, so a supervisor (or a
    partner system) is refused, and nothing is written."""
    form = {"programme": "disability", "stopped_from": "2026-02-01", "reason_en": "x", "reason_ar": "س"}
    refusals = (
        (users(ours)[1], "branch", InvalidInputError, "channels: partner"),  # at the counter: not a channel of it
        (users(ours)[1], "partner", ForbiddenError, ""),  # as a partner system would: not the supervisor's role
        (user("dci", Role.PARTNER, kind="client"), "partner", ForbiddenError, ""),  # the role holds no case.open
    )
    for principal, channel, refusal, said in refusals:
        request = NewCase("benefit_stop", channel, civil_number=ours.here["person_id"], form=form)
        with pytest.raises(refusal, match=said):
            actions.open_case(ours.uow(), CATALOGUE, request, principal=principal, today=date(2026, 2, 1))
    assert [c for c in ours.rows("case_file") if c["type"] == "benefit_stop"] == []
