"""Explaining families in batches: requests that arrive while a batch is being evaluated wait
for the next one, which evaluates all of them at once.

Evaluating the rules on one family costs a few milliseconds of fixed overhead and about as much for
thirty families, so under load a worker answers many more requests a second; with no load, a
request is evaluated at once, alone. The engine is vectorised over families already (it runs on
whole countries): a batch is a small country, and each family's explanation is exactly what it
would be alone.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import polars as pl

from himaya.core.periods import Period
from himaya.policy.explain import Explanation, explain_families, explain_months
from himaya.policy.pack import PolicyPack

MAX_FAMILIES = 64  # in one batch: beyond this the evaluation grows with the batch
MAX_MONTHS = 2  # batches of different months evaluated in one call (a family page's this month and next)


@dataclass
class _Request:
    people: pl.DataFrame
    period: Period
    family: str
    answer: Future[Explanation] = field(default_factory=Future)


class ExplainBatcher:
    def __init__(self, pack: PolicyPack) -> None:
        self.pack = pack
        self._queue: queue.Queue[list[_Request]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def explain(self, people: pl.DataFrame, period: Period, family: str) -> Explanation:
        """The explanation of `family` (whose rows `people` are) for `period`."""
        return self.submit(people, period, family).result()

    def submit(self, people: pl.DataFrame, period: Period, family: str) -> Future[Explanation]:
        """`explain`, without waiting."""
        return self.submit_all([(people, period, family)])[0]

    def submit_all(self, asked: Sequence[tuple[pl.DataFrame, Period, str]]) -> list[Future[Explanation]]:
        """`submit` of each (people, period, family), queued together: a page that explains two
        months asks for both at once, and they are evaluated in one call to the engine."""
        requests = [_Request(people, period, family) for people, period, family in asked]
        self._ensure_running()
        self._queue.put(requests)
        return [r.answer for r in requests]

    def _ensure_running(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="himaya-explain", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        waiting: list[_Request] = []
        while True:
            if not waiting:
                waiting += self._queue.get()
            while len(waiting) < 4 * MAX_FAMILIES:
                try:
                    waiting += self._queue.get_nowait()
                except queue.Empty:
                    break
            batches: list[list[_Request]] = []
            while waiting and len(batches) < MAX_MONTHS:  # a page asks for two months at once
                batch, waiting = _one_batch(waiting, {b[0].period for b in batches})
                if not batch:
                    break
                batches.append(batch)
            self._evaluate_months(batches)

    def _evaluate_months(self, batches: list[list[_Request]]) -> None:
        """Each batch (one month's) evaluated, all in one call to the engine; on an error, each alone."""
        if len(batches) == 1:
            self._evaluate(batches[0])
            return
        try:
            asked = [(pl.concat([r.people for r in b], how="vertical_relaxed"), b[0].period) for b in batches]
            explained = explain_months(asked, self.pack, self.pack.parameters)
        except Exception:  # each month alone: each request then gets its own error
            for batch in batches:
                self._evaluate(batch)
            return
        for batch, month in zip(batches, explained, strict=True):
            for request in batch:
                request.answer.set_result(month[request.family])

    def _evaluate(self, batch: list[_Request]) -> None:
        try:
            people = pl.concat([r.people for r in batch], how="vertical_relaxed")
            explained = explain_families(people, self.pack, self.pack.parameters, batch[0].period)
        except Exception as error:  # each request gets the error, as if alone
            if len(batch) == 1:
                batch[0].answer.set_exception(error)
            else:  # find whose family it was: evaluate them one by one
                for request in batch:
                    self._evaluate([request])
            return
        for request in batch:
            request.answer.set_result(explained[request.family])


def _one_batch(waiting: list[_Request], taken: Collection[Period] = ()) -> tuple[list[_Request], list[_Request]]:
    """The requests of the first one's period not in `taken`, each family once (two requests for
    one family may carry different rows, e.g. masked for one user and not for another); the rest wait."""
    period = next((r.period for r in waiting if r.period not in taken), None)
    batch: list[_Request] = []
    families: set[str] = set()
    rest: list[_Request] = []
    for request in waiting:
        if request.period == period and request.family not in families and len(batch) < MAX_FAMILIES:
            batch.append(request)
            families.add(request.family)
        else:
            rest.append(request)
    return batch, rest
