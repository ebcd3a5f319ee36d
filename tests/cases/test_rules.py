"""The case rules, pure: working days, deadlines and SLA states, moves and who may make them, forms,
sensitivity, the filing deadline of an appeal, and messages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from himaya.cases import rules
from himaya.cases.model import NewCase, Sla
from himaya.core.access import Role
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError
from himaya.policy.calendar import WorkingCalendar
from himaya.policy.case_types import CaseCatalogue
from himaya.policy.packs import load_pack
from tests.cases.conftest import user

CATALOGUE: CaseCatalogue = load_pack().cases
CALENDAR = CATALOGUE.calendar
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
worker, supervisor = user("wafa", Role.CASE_WORKER), user("salim", Role.SUPERVISOR)


@given(days, st.integers(min_value=0, max_value=60))
def test_a_deadline_is_the_nth_working_day_after(start: date, n: int) -> None:
    due = CALENDAR.add(start, n)
    assert CALENDAR.between(start, due) == n
    if n:
        assert CALENDAR.is_working(due) and due > start
        assert CALENDAR.add(start, n + 1) > due


@given(days, days)
def test_working_days_between_is_antisymmetric(a: date, b: date) -> None:
    assert CALENDAR.between(a, b) == -CALENDAR.between(b, a)


def test_omans_weekend_and_holidays_are_skipped() -> None:
    thursday = date(2026, 1, 8)
    assert CALENDAR.add(thursday, 1) == date(2026, 1, 12)  # Fri, Sat weekend; Sun 11 Jan: Accession Day
    plain = WorkingCalendar(weekend=frozenset({4, 5}), holidays=frozenset())
    assert plain.add(thursday, 1) == date(2026, 1, 11)
    with pytest.raises(ValueError, match="counts forward"):
        plain.add(thursday, -1)


@given(days, days, st.integers(min_value=0, max_value=5))
def test_the_sla_state_follows_the_due_date(due: date, today: date, risk: int) -> None:
    state = rules.sla(CALENDAR, due, today, at_risk_days=risk)
    if today > due:
        assert state is Sla.BREACHED
    elif CALENDAR.between(today, due) <= risk:
        assert state is Sla.AT_RISK
    else:
        assert state is Sla.ON_TRACK
    assert rules.sla(CALENDAR, None, today, at_risk_days=risk) is Sla.NONE


def test_every_declared_move_is_allowed_and_nothing_else() -> None:
    for kind in CATALOGUE.types.values():
        for source in kind.states:
            for target in kind.states:
                declared = kind.transition(source.key, target.key)
                if declared is not None:
                    assert rules.move(kind, source.key, target.key, "C-2026-000001")[1] == declared
                else:
                    with pytest.raises(ConflictError, match=f"is {source.key}: it may move to"):
                        rules.move(kind, source.key, target.key, "C-2026-000001")
        with pytest.raises(InvalidInputError, match="'limbo' is not a state of a"):
            rules.move(kind, kind.initial.key, "limbo", "C-2026-000001")


def test_a_decision_that_changes_money_is_not_taken_by_who_prepared_it() -> None:
    application = CATALOGUE.types["application"]
    approve = application.transition("prepared", "approved")
    assert approve is not None
    with pytest.raises(ForbiddenError, match=r"needs case\.decide"):
        rules.check_mover(application, approve, worker, prepared_by="someone", number="C-1")
    with pytest.raises(ForbiddenError, match="maker-checker"):
        rules.check_mover(application, approve, supervisor, prepared_by="salim", number="C-1")
    with pytest.raises(ConflictError, match="must be prepared"):
        rules.check_mover(application, approve, supervisor, prepared_by=None, number="C-1")
    rules.check_mover(application, approve, supervisor, prepared_by="wafa", number="C-1")
    higher = CATALOGUE.types["appeal"].transition("higher_committee", "granted_final")
    assert higher is not None
    decider = user("committee", Role.CASE_WORKER)
    decider = type(decider)(decider.username, decider.roles, decider.permissions | {"case.decide"}, decider.scopes)
    with pytest.raises(ForbiddenError, match="for the role"):
        rules.check_mover(CATALOGUE.types["appeal"], higher, decider, prepared_by="wafa", number="C-1")
    grievance = CATALOGUE.types["grievance"]
    resolve = grievance.transition("in_review", "resolved")
    assert resolve is not None  # no money: whoever may decide decides, prepared or not
    rules.check_mover(grievance, resolve, supervisor, prepared_by=None, number="C-1")


def test_a_form_is_checked_like_the_people_table() -> None:
    application = CATALOGUE.types["application"]
    good = {"programme": "disability", "applied_on": "2026-01-05", "disability_card": True, "evidence": "card 1234"}
    assert rules.validate_form(application, {**good, "monthly_income": "12.5"}) == {
        **good,
        "monthly_income": "12.500",
    }
    for bad, said in (
        ({**good, "programme": "lottery"}, "form field programme, value 'lottery': must be one of disability"),
        ({**good, "applied_on": "2026-02-30"}, "form field applied_on, value '2026-02-30': must be a real date"),
        ({**good, "monthly_income": "-3"}, "form field monthly_income, value '-3': must not be negative"),
        ({**good, "monthly_income": "1.2345"}, "has more than 3 decimals"),
        ({**good, "evidence": None}, "form field evidence, value None: required value missing"),
        ({**good, "colour": "red"}, "form: unknown field(s) 'colour' for an application"),
        ({**good, "evidence": "x" * 2001}, "longer than 2000 characters"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            rules.validate_form(application, bad)
        assert said in str(refused.value), str(refused.value)


@settings(max_examples=40)  # each example validates a one-row table with polars
@given(st.dictionaries(st.sampled_from(["details", "period", "amount"]), st.text(max_size=12), max_size=3))
def test_a_form_is_accepted_whole_or_refused_with_a_reason(form: dict[str, str]) -> None:
    grievance = CATALOGUE.types["grievance"]
    try:
        stored = rules.validate_form(grievance, form)
    except InvalidInputError as error:
        assert "form" in str(error)
    else:
        assert set(stored) <= set(form) and stored.get("details")


def test_sensitivity_by_type_category_and_request() -> None:
    grievance, application = CATALOGUE.types["grievance"], CATALOGUE.types["application"]
    assert rules.sensitive(grievance, "staff_conduct", requested=False)
    assert rules.sensitive(grievance, "wrong_amount", requested=True)
    assert not rules.sensitive(grievance, "wrong_amount", requested=False)
    with pytest.raises(InvalidInputError, match="category: a grievance needs one of payment_not_received"):
        rules.sensitive(grievance, None, requested=False)
    with pytest.raises(InvalidInputError, match="'lost_cat' is not a category of a grievance"):
        rules.sensitive(grievance, "lost_cat", requested=False)
    with pytest.raises(InvalidInputError, match="an application cannot be marked sensitive"):
        rules.sensitive(application, None, requested=True)


def test_a_request_is_checked_against_its_type() -> None:
    grievance = CATALOGUE.types["grievance"]
    anonymous = NewCase("grievance", "anonymous", category="data_error", form={"details": "x"})
    assert not rules.check_request(grievance, anonymous)
    with pytest.raises(InvalidInputError, match="an anonymous case names nobody"):
        rules.check_request(
            grievance, NewCase("grievance", "anonymous", civil_number="12345678", category="data_error")
        )
    with pytest.raises(InvalidInputError, match="channel: an application is not opened by 'anonymous'"):
        rules.check_request(CATALOGUE.types["application"], NewCase("application", "anonymous"))
    with pytest.raises(InvalidInputError, match="give their civil number"):
        rules.check_request(CATALOGUE.types["application"], NewCase("application", "branch"))
    partner = user("labour", Role.CASE_WORKER, kind="client")
    with pytest.raises(ForbiddenError, match="partner channel"):
        rules.check_opener(grievance, NewCase("grievance", "branch"), partner)
    with pytest.raises(ForbiddenError, match=r"needs case\.open"):
        rules.check_opener(grievance, NewCase("grievance", "branch"), user("audrey", Role.AUDITOR))


def test_an_appeal_is_filed_within_30_days_of_the_notification() -> None:
    appeal = CATALOGUE.types["appeal"]
    notified = date(2026, 2, 1)
    form = {"decision_reference": "C-2026-000001", "notified_on": notified.isoformat(), "grounds": "wrong income"}
    assert rules.check_filing(appeal, form, notified + timedelta(days=30), CALENDAR) == date(2026, 3, 3)
    with pytest.raises(InvalidInputError, match="had to be filed within 30 days, by 2026-03-03; today is 2026-03-04"):
        rules.check_filing(appeal, form, notified + timedelta(days=31), CALENDAR)
    with pytest.raises(InvalidInputError, match="is after today"):
        rules.check_filing(appeal, form, notified - timedelta(days=1), CALENDAR)


def test_a_message_is_rendered_in_the_persons_language() -> None:
    template = CATALOGUE.types["grievance"].templates["received"]
    values = {"number": "C-2026-000007", "category": "مبلغ غير صحيح", "due": "2026-01-12"}
    subject, body = rules.render(template, "ar", values)
    assert subject == "تم استلام شكواكم رقم C-2026-000007" and "2026-01-12" in body and "مبلغ غير صحيح" in body
    assert rules.render(template, "en", {})[0] == "Your complaint  was received"
    assert rules.case_number(2026, 1234567) == "C-2026-1234567"
