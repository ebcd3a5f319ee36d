"""A job a service process runs in the background every so many seconds (the outbox's sender, the
life-events worker, the DCI notifications' sender):
a daemon thread, a fault in one round logged and the next round tried, stopped between rounds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("himaya.worker")


class Periodic:
    def __init__(self, name: str, every: float, job: Callable[[], object]) -> None:
        self.name, self.every, self.job = name, every, job
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)
        self.rounds = 0

    def start(self) -> Periodic:
        self.thread.start()
        return self

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.job()
            except Exception:  # a database fault, a bad batch: logged, and the next round tries again
                log.exception("%s failed; trying again in %s s", self.name, self.every)
            self.rounds += 1
            self.stopping.wait(self.every)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the round in hand (a batch is one transaction: nothing is left half-done)."""
        self.stopping.set()
        self.thread.join(timeout)
