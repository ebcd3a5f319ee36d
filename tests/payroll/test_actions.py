"""The payroll's actions on a fake unit of work (no database): a run moves only from the version
read, nothing is audited or told when it does not, events are told only after the commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Any, Self

import polars as pl
import pytest

from himaya.core.audit import Change
from himaya.core.errors import NotFoundError, StaleRecordError
from himaya.core.events import Event
from himaya.core.periods import Period
from himaya.payroll import actions
from himaya.payroll.model import Run, RunMoved, RunState

JANUARY = Period(2026, 1)


class FakeStore:
    def __init__(self, run: Run | None, *, moves: bool = True) -> None:
        self.stored, self.moves, self.moved = run, moves, []  # type: ignore[var-annotated]

    def run(self, period: Period) -> Run | None:
        return self.stored

    def move(self, run: Run, after: RunState, values: Mapping[str, Any]) -> bool:
        if self.moves:
            self.moved.append((after, dict(values)))
        return self.moves

    def summary(self, run_id: int) -> tuple[str, list[int]]:
        return (self.moved[-1][0].value if self.moved else "calculated"), [0] * 7

    def sealed_lines(self, run_id: int) -> pl.DataFrame:
        return pl.DataFrame({"end_to_end_id": ["A"], "amount": [1]})


class FakeAudit:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def record(self, changes: Sequence[Change], *, actor: str) -> list[str]:
        self.changes.extend(changes)
        return [f"entry-{len(self.changes) - len(changes) + n}" for n in range(len(changes))]


class FakeUow:
    def __init__(self, store: FakeStore) -> None:
        self.payroll, self.audit, self.emitted, self.told, self.committed = store, FakeAudit(), [], [], False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if not self.committed:
            self.audit.changes.clear()  # rolled back
            self.emitted.clear()

    def commit(self) -> None:
        self.committed = True
        self.told.extend(self.emitted)

    def emit(self, event: Event) -> None:
        self.emitted.append(event)


def _run(state: RunState, **kw: Any) -> Run:
    return Run(1, date(2026, 1, 1), state, 3, kw.get("created_by", "maker"), kw.get("submitted_by"), None, None)


def test_a_run_moved_by_someone_else_meanwhile_is_refused_and_nothing_is_audited_or_told() -> None:
    uow = FakeUow(FakeStore(_run(RunState.CALCULATED), moves=False))
    with pytest.raises(StaleRecordError, match="version 3"):
        actions.transition(uow, JANUARY, "submit", actor="maker")  # type: ignore[arg-type]
    assert (uow.audit.changes, uow.told, uow.committed) == ([], [], False)


def test_an_approval_seals_the_lines_audits_and_tells_after_the_commit() -> None:
    uow = FakeUow(FakeStore(_run(RunState.SUBMITTED, submitted_by="maker")))
    summary = actions.transition(uow, JANUARY, "approve", actor=" Checker ")  # type: ignore[arg-type]
    ((after, values),) = uow.payroll.moved
    assert after == RunState.APPROVED and values["approved_by"] == "checker" and len(values["seal"]) == 64
    assert [c.action for c in uow.audit.changes] == ["payroll.approve"]
    assert uow.told == [RunMoved(JANUARY, RunState.SUBMITTED, RunState.APPROVED, "checker")]
    assert summary.state == "approved"


def test_no_run_no_move() -> None:
    uow = FakeUow(FakeStore(None))
    with pytest.raises(NotFoundError, match="himaya payroll run --period 2026-01"):
        actions.transition(uow, JANUARY, "submit", actor="maker")  # type: ignore[arg-type]
    assert uow.told == []
