"""Each case action on both databases: a case's whole life, maker-checker, stale versions, the branch
and sensitivity scope (answered as missing), bad input writing nothing, overdue cases and escalation,
and opening a case inside another action's unit of work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.applications import Desk
from himaya.cases.model import Inbox, NewCase
from himaya.cases.opening import open_in, queue_notification
from himaya.core.access import Role, Scope
from himaya.core.clock import today
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.periods import Period
from himaya.policy.packs import load_pack
from tests.cases.conftest import Branches, user

PACK = load_pack()
CATALOGUE = PACK.cases
DAY = date(2026, 1, 7)  # a Wednesday


def _people(b: Branches) -> tuple:  # type: ignore[type-arg]
    here = (Scope("wilayat", b.here["wilayat"]),)
    return (
        user("wafa", Role.CASE_WORKER, scopes=here),
        user("salim", Role.SUPERVISOR, scopes=(Scope("governorate", b.here["governorate"]),)),
        user("huda", Role.SUPERVISOR, scopes=here),
        user("omar", Role.CASE_WORKER, scopes=(Scope("wilayat", b.there["wilayat"]),)),
    )


def _grievance(b: Branches, **changes: object) -> NewCase:
    fields = {
        "type": "grievance",
        "channel": "branch",
        "civil_number": b.here["person_id"],
        "category": "wrong_amount",
        "form": {"details": "paid 10 OMR less in December", "period": "2025-12", "amount": "10"},
    } | changes
    return NewCase(**fields)  # type: ignore[arg-type]


def test_a_grievance_from_received_to_closed(branches: Branches) -> None:
    wafa, salim, _, _ = _people(branches)
    opened = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=DAY)
    assert (
        opened.number == "C-2026-000001" and opened.state == "received" and opened.due_on == date(2026, 1, 12)
    )  # Thu, then the weekend and Accession Day
    outbox = branches.rows("notification_outbox")
    assert [(m["recipient"], m["language"], m["state"]) for m in outbox] == [
        (branches.here["person_id"], "ar", "pending")
    ]
    assert "C-2026-000001" in outbox[0]["subject"] and "مبلغ غير صحيح" in outbox[0]["body"]
    version = actions.assign(branches.uow(), opened.number, "wafa", expected_version=1, principal=wafa)
    actions.note(branches.uow(), opened.number, "called the bank", principal=wafa)
    moved = actions.move(
        branches.uow(), CATALOGUE, opened.number, "in_review", expected_version=version, reason=None, principal=wafa
    )
    with pytest.raises(ForbiddenError, match=r"needs case\.decide"):
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "resolved", expected_version=3, reason="x", principal=wafa
        )
    with pytest.raises(InvalidInputError, match="reason: required"):
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "resolved", expected_version=3, reason=" ", principal=salim
        )
    decided = actions.move(
        branches.uow(), CATALOGUE, opened.number, "resolved", expected_version=moved.version,
        reason="the difference is paid in January", principal=salim, today=DAY,
    )  # fmt: skip
    assert decided.decision == "resolved" and decided.notifications == 1
    closed = actions.close(branches.uow(), CATALOGUE, opened.number, expected_version=4, reason=None, principal=wafa)
    assert closed.state == "closed" and closed.due_on is None
    view = actions.show(branches.uow(), CATALOGUE, opened.number, principal=wafa, today=DAY)
    assert [e["kind"] for e in view.events] == ["opened", "assigned", "note", "moved", "decided", "moved"]
    assert view.case["decided_by"] == "salim" and view.case["closed_at"] is not None and view.moves == ()
    assert len(view.messages) == 2 and "2026-" in view.messages[1]["body"]  # the last day to appeal
    with pytest.raises(ConflictError, match="a closed case does not change"):
        actions.note(branches.uow(), opened.number, "late", principal=wafa)
    actions_logged = [e["action"] for e in branches.rows("audit_entry") if e["subject"] == f"case:{opened.number}"]
    assert actions_logged == [
        "case.open", "case.assign", "case.note", "case.move", "case.decide", "case.close", "read",
    ]  # fmt: skip


def test_a_payment_decision_is_not_taken_by_who_prepared_it(branches: Branches) -> None:
    wafa, salim, huda, _ = _people(branches)
    # A category without a card (a card alone would be refused by the registry's own validation).
    form = {"programme": "disability", "applied_on": "2026-01-05", "disability_category": "visual", "evidence": "x"}
    request = NewCase("application", "branch", civil_number=branches.here["person_id"], form=form)
    opened = actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    step = actions.move(
        branches.uow(), CATALOGUE, opened.number, "in_review", expected_version=1, reason=None, principal=salim
    )
    with pytest.raises(ConflictError, match="it may move to awaiting_evidence, prepared, closed; not to approved"):
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "approved", expected_version=2, reason="ok", principal=huda
        )
    step = actions.move(
        branches.uow(), CATALOGUE, opened.number, "prepared", expected_version=2, reason=None, principal=salim
    )
    with pytest.raises(ForbiddenError, match="maker-checker"):
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "approved", expected_version=3, reason="ok", principal=salim
        )
    with pytest.raises(StaleRecordError, match="is at version 3, not 2"):
        actions.move(
            branches.uow(), CATALOGUE, opened.number, "approved", expected_version=2, reason="ok", principal=huda
        )
    events = len(branches.rows("case_event"))
    step = actions.move(
        branches.uow(),
        CATALOGUE,
        opened.number,
        "approved",
        expected_version=3,
        reason="all conditions hold",
        principal=huda,
        desk=Desk(bootstrap.registry_contract(PACK), PACK),
        override="the head is not Omani: approved on the minister's instruction",  # (tests/cases/test_applications.py)
        # The exception's review month (decided today: no `today` given) and what it pays (test_exceptions.py).
        override_until=str(Period.containing(today(CATALOGUE.timezone)).shifted(3)),
        override_amount="10.000",
    )
    assert step.version == 4 and len(branches.rows("case_event")) == events + 1
    case = branches.rows("case_file")[0]
    assert (case["prepared_by"], case["decided_by"], case["decision"]) == ("salim", "huda", "approved")


def test_another_branch_and_sensitive_cases_answer_as_missing(branches: Branches) -> None:
    wafa, salim, _, omar = _people(branches)
    plain = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=DAY)
    conduct = _grievance(branches, category="staff_conduct", form={"details": "shouted at me"})
    secret = actions.open_case(branches.uow(), CATALOGUE, conduct, principal=wafa, today=DAY)
    assert secret.sensitive
    for who, number in ((omar, plain.number), (wafa, secret.number), (omar, secret.number)):
        with pytest.raises(NotFoundError) as refused:
            actions.show(branches.uow(), CATALOGUE, number, principal=who)
        with pytest.raises(NotFoundError) as missing:
            actions.show(branches.uow(), CATALOGUE, "C-2099-999999", principal=who)
        assert str(refused.value).replace(number, "?") == str(missing.value).replace("C-2099-999999", "?")
        with pytest.raises(NotFoundError):
            actions.assign(branches.uow(), number, "wafa", expected_version=1, principal=who)
    assert [r["number"] for r in actions.inbox(branches.uow(), CATALOGUE, Inbox(), principal=wafa)] == [plain.number]
    assert actions.inbox(branches.uow(), CATALOGUE, Inbox(), principal=omar) == []
    assert {r["number"] for r in actions.inbox(branches.uow(), CATALOGUE, Inbox(), principal=salim)} == {
        plain.number,
        secret.number,
    }
    probes = [e for e in branches.rows("audit_entry") if e["action"] == "probe"]
    assert {p["subject"] for p in probes} >= {f"case:{plain.number}", f"case:{secret.number}"}
    there = _grievance(branches, civil_number=branches.there["person_id"])
    with pytest.raises(NotFoundError, match="in your branches"):
        actions.open_case(branches.uow(), CATALOGUE, there, principal=wafa, today=DAY)
    with pytest.raises(ForbiddenError, match="not one of your branches"):
        actions.open_case(
            branches.uow(), CATALOGUE, _grievance(branches, wilayat=branches.there["wilayat"]), principal=wafa
        )


def test_an_anonymous_complaint_names_nobody_and_tells_nobody(branches: Branches) -> None:
    wafa = _people(branches)[0]
    request = NewCase("grievance", "anonymous", category="staff_conduct", form={"details": "a bribe was asked"})
    with pytest.raises(InvalidInputError, match="wilayat: the branch of the case is needed"):
        actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
    here = NewCase(**{**vars(request), "wilayat": branches.here["wilayat"]})
    opened = actions.open_case(branches.uow(), CATALOGUE, here, principal=wafa, today=DAY)
    case = branches.rows("case_file")[0]
    assert case["person_id"] is None and case["sensitive"] and opened.notifications == 0
    assert branches.rows("notification_outbox") == []


def test_bad_input_is_named_and_writes_nothing(branches: Branches) -> None:
    wafa = _people(branches)[0]
    for request, said in (
        (_grievance(branches, type="complaint"), "unknown case type 'complaint'"),
        (_grievance(branches, form={"details": "x", "amount": "ten"}), "form field amount, value 'ten'"),
        (_grievance(branches, channel="fax"), "channel: a grievance is not opened by 'fax'"),
        (_grievance(branches, category="weather"), "'weather' is not a category of a grievance"),
        (_grievance(branches, wilayat="Atlantis"), "'Atlantis' is not a known wilayat"),
        (_grievance(branches, language="fr"), "language: 'fr' is not one of en, ar"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            actions.open_case(branches.uow(), CATALOGUE, request, principal=wafa, today=DAY)
        assert said in str(refused.value)
    assert branches.rows("case_file") == [] and branches.rows("notification_outbox") == []
    opened = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=DAY)
    with pytest.raises(InvalidInputError, match="'limbo' is not a state"):
        actions.move(branches.uow(), CATALOGUE, opened.number, "limbo", expected_version=1, reason=None, principal=wafa)
    with pytest.raises(InvalidInputError, match="'ghost' is not an active user who works the cases of"):
        actions.assign(branches.uow(), opened.number, "ghost", expected_version=1, principal=wafa)
    assert branches.rows("case_file")[0]["version"] == 1 and len(branches.rows("case_event")) == 1


def test_overdue_cases_are_escalated_once(branches: Branches) -> None:
    wafa, salim, _, _ = _people(branches)
    late = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=date(2026, 1, 4))
    soon = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=date(2026, 1, 7))
    fresh = actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=date(2026, 1, 13))
    listed = actions.overdue(branches.uow(), CATALOGUE, principal=wafa, today=date(2026, 1, 8))
    assert [(r["number"], r["sla"]) for r in listed] == [(late.number, "breached"), (soon.number, "at_risk")]
    assert fresh.number not in {r["number"] for r in listed}
    for _ in range(2):
        actions.overdue(branches.uow(), CATALOGUE, principal=salim, escalate=True, today=date(2026, 1, 8))
    staff = [m for m in branches.rows("notification_outbox") if m["channel"] == "staff"]
    assert [m["recipient"] for m in staff] == [f"role:supervisor@{branches.here['wilayat']}"]
    arabic = staff[0]["body"].splitlines()[0]  # the state by its Arabic name, not its key ("received")
    assert "(شكوى، مستلمة) تجاوزت موعدها" in arabic and "received" not in arabic, arabic
    inbox = actions.inbox(branches.uow(), CATALOGUE, Inbox(due_before=date(2026, 1, 12)), principal=wafa, today=DAY)
    assert [r["number"] for r in inbox] == [late.number, soon.number]


def test_open_in_and_queue_notification_share_the_callers_transaction(branches: Branches) -> None:
    request = _grievance(branches)
    uow = branches.uow()
    with uow:
        open_in(uow, CATALOGUE, request, actor="events", today=DAY)
        queue_notification(uow, civil_number=branches.here["person_id"], language="en", subject="s", body="b")
        # not committed: the caller's refusal rolls back the case, its messages and its audit entry
    assert branches.rows("case_file") == [] and branches.rows("notification_outbox") == []
    with uow:
        opened = open_in(uow, CATALOGUE, request, actor="events", today=DAY)
        queue_notification(uow, civil_number=branches.here["person_id"], language="en", subject="s", body="b")
        uow.commit()
    assert opened.number == "C-2026-000001"  # the rolled-back number is given again
    assert len(branches.rows("notification_outbox")) == 2
    with uow, pytest.raises(NotFoundError):
        queue_notification(uow, civil_number="99999999", language="ar", subject="s", body="b")


def test_concurrent_openings_get_consecutive_numbers(branches: Branches) -> None:
    wafa = _people(branches)[0]

    def one(_: int) -> str:
        return actions.open_case(branches.uow(), CATALOGUE, _grievance(branches), principal=wafa, today=DAY).number

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(one, range(8)))
    assert numbers == [f"C-2026-{n:06d}" for n in range(1, 9)]
    assert len({m["case_id"] for m in branches.rows("notification_outbox")}) == 8
