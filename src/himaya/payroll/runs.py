"""What every payroll action does to a run the same way: move it on from the version read (the row
count checked), and sum it up."""

from __future__ import annotations

from collections.abc import Mapping

from himaya.core.errors import StaleRecordError
from himaya.core.periods import Period
from himaya.payroll.model import Run, RunState, RunSummary
from himaya.payroll.ports import PayrollStore


def move(store: PayrollStore, run: Run, after: RunState, values: Mapping[str, object]) -> None:
    """Move the run to `after` from the version read, or refuse (StaleRecordError) if it has moved since."""
    if not store.move(run, after, values):
        raise StaleRecordError(
            f"the run of {Period.containing(run.period)} changed while this action ran "
            f"(it was {run.state}, version {run.version}): read it again; nothing was changed"
        )


def summary(store: PayrollStore, run_id: int, period: Period) -> RunSummary:
    state, figures = store.summary(run_id)
    return RunSummary(period, state, *figures)
