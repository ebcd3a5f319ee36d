"""An appeal on both databases: it names the case it appeals (in the user's branches, about the same
person, a refused application or change request), is filed within 30 days of the decision's
notification (recorded, or declared for a letter), once; granted, by the committee or the higher
committee, it reverses the decision: the application's facts are written from its `applied_on` (the
change from its `effective_from`), at most once, and the enrollment starts from the month of the
application, so the next payroll pays the months since as arrears, once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select, update

from himaya.bootstrap import payroll
from himaya.cases import actions
from himaya.cases.applications import NotEntitledError
from himaya.cases.model import NewCase
from himaya.core.access import Role, Scope
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from himaya.core.periods import Period
from himaya.db.case_tables import case_file, notification_outbox
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import payment_line, person
from himaya.policy.engine import entitlements
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.cases.conftest import Branches, user
from tests.cases.flows import CATALOGUE, PACK, decide, iban, move, open_case, prepared, rows, users

APPLIED, DECIDED = date(2026, 1, 5), date(2026, 1, 7)
DISABILITY = {
    "programme": "disability", "applied_on": APPLIED.isoformat(), "disability_category": "physical",
    "disability_card": True, "evidence": "card and the committee's decision",
}  # fmt: skip
JANUARY, FEBRUARY, MARCH, APRIL = (Period(2026, m) for m in (1, 2, 3, 4))


@pytest.fixture
def ours(branches: Branches) -> Branches:
    """The branch of an Omani family head of working age, living in Oman (the applicant)."""
    people = validate_table(
        for_file(generate(SynthRequest(persons=60, seed=13)).people, "parquet"), PACK.registry, source="synth"
    )
    heads = people.filter(
        pl.col("relationship") == "head", pl.col("nationality") == "OM", pl.col("resident"),
        pl.col("birth_date").is_between(date(1970, 1, 1), date(2000, 1, 1)), pl.col("wilayat").is_not_null(),
        pl.col("disability_category").is_null(),
    )  # fmt: skip
    return Branches(branches.engine, heads.row(0, named=True), branches.there)


def _refused(b: Branches, kind: str = "application", form: dict[str, Any] | None = None) -> str:
    """A case refused by huda on DECIDED (application: prepared at version 3; change request likewise)."""
    number = prepared(b, kind, form or DISABILITY, day=DECIDED, through=("in_review", "prepared"))
    decide(b, number, "refused", 3, day=DECIDED, reason="the card is not shown")
    return number


def _appeal(b: Branches, number: str, *, day: date, notified: str | None = "2026-01-10") -> str:
    form = {"decision": number, "grounds": "the card was shown at the counter"}
    return open_case(b, "appeal", form | ({"notified_on": notified} if notified else {}), day=day)


def _granted(b: Branches, appeal: str, *, day: date, **options: Any) -> Any:
    move(b, appeal, "committee", 1, day=day)  # salim prepares (puts it before the committee)
    return decide(b, appeal, "granted", 2, day=day, reason="the card was valid", **options)


def _disability(b: Branches) -> list[tuple[str | None, bool, str]]:
    return [(r["category"], bool(r["card"]), str(r["valid_from"])) for r in rows(b, "disability_assessment",
                                                                                     b.here["person_id"])]  # fmt: skip


def test_a_granted_appeal_writes_the_facts_from_the_application_and_enrolls_from_its_month(ours: Branches) -> None:
    number = _refused(ours)
    assert _disability(ours) == []
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    cases = {c["number"]: c for c in ours.rows("case_file")}
    assert cases[appeal]["appealed_id"] == cases[number]["id"]
    assert '"notified_on": "2026-01-10"' in cases[appeal]["form"]
    granted = _granted(ours, appeal, day=date(2026, 3, 3))
    assert granted.decision == "granted" and granted.rules["entitled"]
    assert granted.wrote == {"reverses": number, "decision": "refused", "refused_on": "2026-01-07"}
    assert _disability(ours) == [("physical", True, "2026-01-05")]
    assert {c["number"]: c["reversed_by"] for c in ours.rows("case_file")}[number] == appeal
    enrolled = [e for e in rows(ours, "enrollment", ours.here["person_id"]) if e["programme"] == "disability"]
    assert [(str(e["start_month"]), e["status"]) for e in enrolled] == [("2026-01-01", "active")]
    assert f"after appeal {appeal}" in enrolled[0]["reason"]
    actions = [e["action"] for e in ours.rows("audit_entry")]
    assert {"case.reverse", "person.application", "enrollment.replan"} <= set(actions)
    kinds = [e["kind"] for e in ours.rows("case_event") if e["case_id"] == cases[number]["id"]]
    assert kinds[-2:] == ["appealed", "reversed"]


def test_the_higher_committee_may_grant_what_the_committee_dismissed(ours: Branches) -> None:
    number = _refused(ours)
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    move(ours, appeal, "committee", 1, day=date(2026, 2, 2))
    decide(ours, appeal, "dismissed", 2, day=date(2026, 2, 10), reason="no card on file")
    assert _disability(ours) == []
    move(ours, appeal, "higher_committee", 3, day=date(2026, 2, 12))
    caseworker = users(ours)[0]  # the higher committee's decision is a supervisor's
    with pytest.raises(ForbiddenError, match=r"needs case\.decide"):
        decide(ours, appeal, "granted_final", 4, day=date(2026, 3, 3), principal=caseworker)
    final = decide(ours, appeal, "granted_final", 4, day=date(2026, 3, 3))
    assert final.wrote is not None and final.wrote["reverses"] == number
    assert _disability(ours) == [("physical", True, "2026-01-05")]


def test_the_payroll_pays_the_months_since_the_application_as_arrears_once(ours: Branches) -> None:
    engine = ours.engine
    payroll.sync_enrollments(engine, PACK, JANUARY, actor="officer", today=JANUARY.start)
    payroll.calculate(engine, PACK, JANUARY, actor="maker")
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        payroll.transition(engine, JANUARY, action, actor=actor)
    number = _refused(ours)
    payroll.calculate(engine, PACK, FEBRUARY, actor="maker")  # before the appeal: nothing for the applicant
    assert _lines(ours).height == 0
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    _granted(ours, appeal, day=date(2026, 3, 3))
    march = payroll.calculate(engine, PACK, MARCH, actor="maker")
    lines = _lines(ours)
    amount = _amount(ours, MARCH)
    assert amount > 0 and march.arrears >= 2
    assert lines.select("month", "kind", "amount").rows() == [
        (date(2026, 1, 1), "arrears", _amount(ours, JANUARY)),
        (date(2026, 2, 1), "arrears", _amount(ours, FEBRUARY)),
        (date(2026, 3, 1), "regular", amount),
    ]
    payroll.calculate(engine, PACK, MARCH, actor="maker")  # calculated again: the same lines
    payroll.calculate(engine, PACK, FEBRUARY, actor="maker")  # February again: its month is paid in March
    payroll.calculate(engine, PACK, APRIL, actor="maker")
    after = _lines(ours)
    assert after.select("month", "kind").rows() == [
        (date(2026, 1, 1), "arrears"), (date(2026, 2, 1), "arrears"), (date(2026, 3, 1), "regular"),
        (date(2026, 4, 1), "regular"),
    ]  # fmt: skip
    # A second appeal against the reversed decision is refused: nothing is reversed, nor paid, twice.
    with pytest.raises(ConflictError, match=f"case {number}'s decision was reversed already, by appeal {appeal}"):
        _appeal(ours, number, day=date(2026, 2, 5))


def test_a_grant_on_a_decision_reversed_meanwhile_writes_nothing(ours: Branches) -> None:
    number = _refused(ours)
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    move(ours, appeal, "committee", 1, day=date(2026, 2, 2))
    with ours.engine.begin() as connection:  # another grant took it first (a race: two committees at once)
        connection.execute(update(case_file).where(case_file.c.number == number).values(reversed_by="C-2026-999999"))
    before = (len(ours.rows("audit_entry")), len(rows(ours, "enrollment", ours.here["person_id"])))
    with pytest.raises(ConflictError, match="reversed already, by appeal C-2026-999999: nothing is written again"):
        decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid")
    assert _disability(ours) == []
    assert (len(ours.rows("audit_entry")), len(rows(ours, "enrollment", ours.here["person_id"]))) == before
    assert {c["number"]: c["state"] for c in ours.rows("case_file")}[appeal] == "committee"


def test_an_appeal_after_the_deadline_is_refused_naming_the_dates(ours: Branches) -> None:
    number = _refused(ours)
    # Declared (a letter handed over): 30 days from it.
    with pytest.raises(InvalidInputError, match="had to be filed within 30 days, by 2026-02-09; today is 2026-02-10"):
        _appeal(ours, number, day=date(2026, 2, 10), notified="2026-01-10")
    with pytest.raises(InvalidInputError, match=r"form field notified_on: 2026-01-06 is before the decision"):
        _appeal(ours, number, day=date(2026, 1, 20), notified="2026-01-06")
    # Recorded: the decision's message was delivered on 8 January; a later date declared changes nothing.
    with ours.engine.begin() as connection:
        connection.execute(
            update(notification_outbox)
            .where(notification_outbox.c.subject.like("%decision%") | notification_outbox.c.subject.like("%القرار%"))
            .values(state="sent", sent_at=datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
        )
    with pytest.raises(InvalidInputError, match=r"notified on 2026-01-08 \(the day its message was delivered\)"):
        _appeal(ours, number, day=date(2026, 2, 8), notified="2026-01-20")
    assert [c["type"] for c in ours.rows("case_file")] == ["application"]
    appeal = _appeal(ours, number, day=date(2026, 2, 7), notified=None)
    assert '"notified_on": "2026-01-08"' in {c["number"]: c["form"] for c in ours.rows("case_file")}[appeal]


def test_an_unrecorded_notification_runs_from_the_decision_unless_declared(ours: Branches) -> None:
    number = _refused(ours)
    with pytest.raises(InvalidInputError, match=r"by 2026-02-06; today is 2026-02-07") as late:
        _appeal(ours, number, day=date(2026, 2, 7), notified=None)
    assert "give notified_on if it came later" in str(late.value)
    appeal = _appeal(ours, number, day=date(2026, 2, 6), notified=None)
    assert '"notified_on": "2026-01-07"' in {c["number"]: c["form"] for c in ours.rows("case_file")}[appeal]


def test_an_appeal_against_a_case_of_another_branch_is_not_found_and_the_probe_audited(ours: Branches) -> None:
    theirs = user("omar", Role.CASE_WORKER, scopes=(Scope("wilayat", ours.there["wilayat"]),))
    form = {"change": "marital_status", "marital_status": "married", "effective_from": "2026-01-05",
            "evidence": "contract"}  # fmt: skip
    request = NewCase("change_request", "branch", civil_number=ours.there["person_id"], form=form)
    elsewhere = actions.open_case(ours.uow(), CATALOGUE, request, principal=theirs, today=DECIDED).number
    with pytest.raises(NotFoundError, match=f"no case '{elsewhere}' in your branches"):
        _appeal(ours, elsewhere, day=date(2026, 2, 1))
    probes = [e for e in ours.rows("audit_entry") if e["action"] == "probe"]
    assert probes and probes[-1]["subject"] == f"case:{elsewhere}"
    assert [c["type"] for c in ours.rows("case_file")] == ["change_request"]


def test_only_a_refused_decision_about_the_appellant_is_appealed_once(ours: Branches) -> None:
    approved = prepared(ours, "application", DISABILITY, day=DECIDED, through=("in_review", "prepared"))
    decide(ours, approved, "approved", 3, day=DECIDED)
    with pytest.raises(InvalidInputError, match=f"case {approved} is an application approved; an appeal is against"):
        _appeal(ours, approved, day=date(2026, 2, 1))
    complaint = NewCase("grievance", "branch", ours.here["person_id"], category="data_error", form={"details": "late"})
    grievance = actions.open_case(ours.uow(), CATALOGUE, complaint, principal=users(ours)[0], today=DECIDED).number
    with pytest.raises(InvalidInputError, match=f"case {grievance} is a grievance received, not decided"):
        _appeal(ours, grievance, day=date(2026, 2, 1))
    refused = _refused(ours, form=DISABILITY | {"applied_on": "2026-01-06"})
    other = user("wafa", Role.CASE_WORKER, scopes=(Scope("all"),))
    request = NewCase("appeal", "branch", civil_number=ours.there["person_id"],
                      form={"decision": refused, "notified_on": "2026-01-10", "grounds": "x"})  # fmt: skip
    with pytest.raises(InvalidInputError, match=f"case {refused} is about another person"):
        actions.open_case(ours.uow(), CATALOGUE, request, principal=other, today=date(2026, 2, 1))
    first = _appeal(ours, refused, day=date(2026, 2, 1))
    with pytest.raises(ConflictError, match=f"case {refused} was appealed already: {first} .received."):
        _appeal(ours, refused, day=date(2026, 2, 2))


def test_a_granted_appeal_the_rules_do_not_support_needs_a_supervisors_override(ours: Branches) -> None:
    number = _refused(ours, form=DISABILITY | {"disability_card": False})
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    move(ours, appeal, "committee", 1, day=date(2026, 2, 2))
    with pytest.raises(NotEntitledError, match="holds a valid disability card"):
        decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid")
    assert _disability(ours) == [] and {c["number"]: c["reversed_by"] for c in ours.rows("case_file")}[number] is None
    granted = decide(
        ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid", override="committee minutes",
        override_until="2026-12", override_amount="130.000",
    )  # fmt: skip
    assert granted.rules["override"] == "committee minutes"


def test_a_granted_appeal_writes_a_refused_change_from_its_date(ours: Branches) -> None:
    account = iban(18, 1111222233334444)
    form = {"change": "bank_account", "iban": account, "effective_from": "2026-01-02", "evidence": "bank letter"}
    number = _refused(ours, "change_request", form)
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    granted = _granted(ours, appeal, day=date(2026, 3, 3))
    assert granted.rules is None and granted.wrote["change"]["to"] == {"iban": account, "bank_code": "018"}
    current = [(r["iban"], str(r["valid_from"])) for r in rows(ours, "bank_account", ours.here["person_id"])
               if r["valid_to"] is None]  # fmt: skip
    assert current == [(account, "2026-01-02")]


def _lines(b: Branches) -> pl.DataFrame:
    """The applicant's disability lines, by month."""
    with b.engine.connect() as connection:
        found = connection.execute(
            select(payment_line.c.month, payment_line.c.kind, payment_line.c.amount)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(person.c.civil_number == b.here["person_id"], payment_line.c.programme == "disability")
            .order_by(payment_line.c.month)
        ).all()
    return pl.DataFrame(found, schema={"month": pl.Date, "kind": pl.String, "amount": pl.Int64}, orient="row")


def _amount(b: Branches, period: Period) -> int:
    """The disability benefit the rules give the applicant in `period` (baisa), from the registry then."""
    with b.engine.connect() as connection:
        people = read_people(connection, people_query(period.end))
    result = entitlements(people.select(PACK.schema.names), PACK, PACK.parameters, period)
    mine = result.filter((pl.col("person_id") == b.here["person_id"]) & (pl.col("programme") == "disability"))
    return int(mine["amount"].str.replace(".", "", literal=True).cast(pl.Int64)[0])


def test_an_appeal_naming_no_case_reverses_nothing(ours: Branches) -> None:
    """An appeal opened before appeals named the case they appeal (a free-text reference) is decided, but
    a grant cannot reverse anything: it is a conflict, and the committee dismisses it instead."""
    number = _refused(ours)
    appeal = _appeal(ours, number, day=date(2026, 2, 1))
    move(ours, appeal, "committee", 1, day=date(2026, 2, 2))
    with ours.engine.begin() as connection:
        connection.execute(update(case_file).where(case_file.c.number == appeal).values(appealed_id=None))
    with pytest.raises(ConflictError, match=f"case {appeal} names no decided case it appeals"):
        decide(ours, appeal, "granted", 2, day=date(2026, 3, 3), reason="valid")
    assert _disability(ours) == []
    assert decide(ours, appeal, "dismissed", 2, day=date(2026, 3, 3), reason="no case named").decision == "dismissed"


def _outbox(b: Branches, number: str) -> list[dict[str, Any]]:
    case_id = {c["number"]: c["id"] for c in b.rows("case_file")}[number]
    return [m for m in b.rows("notification_outbox") if m["case_id"] == case_id]


def _dismissed(b: Branches, number: str, *, on: date) -> str:
    appeal = _appeal(b, number, day=date(2026, 2, 1))
    move(b, appeal, "committee", 1, day=date(2026, 2, 2))
    decide(b, appeal, "dismissed", 2, day=on, reason="no card on file")
    return appeal


def test_the_higher_committee_is_seized_within_20_working_days_of_the_dismissals_notification(ours: Branches) -> None:
    """Dismissed on Thursday 26 February 2026: 20 working days, Fridays and Saturdays off and Eid al-Fitr
    (19 to 23 March) too, end on Tuesday 31 March: the day the dismissal's message states."""
    appeal = _dismissed(ours, _refused(ours), on=date(2026, 2, 26))
    told = _outbox(ours, appeal)[-1]["body"]
    assert "2026-03-31" in told and "اللجنة العليا" in told
    before = (len(ours.rows("audit_entry")), len(ours.rows("case_event")))
    with pytest.raises(ConflictError) as late:
        move(ours, appeal, "higher_committee", 3, day=date(2026, 4, 1))
    assert str(late.value) == (
        f"case {appeal}: the move to higher_committee had to be made within 20 working days of the notification of"
        " the decision dismissed (2026-02-26, the day of the decision: its delivery is not recorded), by 2026-03-31;"
        " today is 2026-04-01: nothing was written"
    )
    assert (len(ours.rows("audit_entry")), len(ours.rows("case_event"))) == before
    assert {c["number"]: (c["state"], c["version"]) for c in ours.rows("case_file")}[appeal] == ("dismissed", 3)
    assert move(ours, appeal, "higher_committee", 3, day=date(2026, 3, 31)).state == "higher_committee"


def test_the_higher_committees_deadline_runs_from_the_dismissals_delivery(ours: Branches) -> None:
    """The dismissal's SMS delivered on Sunday 1 March (Muscat): the 20 working days end on Wednesday 1 April."""
    appeal = _dismissed(ours, _refused(ours), on=date(2026, 2, 26))
    dismissal = _outbox(ours, appeal)[-1]["id"]
    with ours.engine.begin() as connection:
        connection.execute(
            update(notification_outbox)
            .where(notification_outbox.c.id == dismissal)
            .values(state="sent", sent_at=datetime(2026, 2, 28, 21, 30, tzinfo=UTC))  # 01:30 on 1 March in Muscat
        )
    with pytest.raises(ConflictError, match=r"\(2026-03-01, the day its message was delivered\), by 2026-04-01; today"):
        move(ours, appeal, "higher_committee", 3, day=date(2026, 4, 2))
    assert move(ours, appeal, "higher_committee", 3, day=date(2026, 4, 1)).state == "higher_committee"
