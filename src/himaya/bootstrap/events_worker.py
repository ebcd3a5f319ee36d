"""The life-events worker `himaya serve` runs when HIMAYA_EVENTS_EVERY is set: the inbox applied
every so many seconds exactly as `himaya events process` applies it (a batch a transaction; on
PostgreSQL several service processes take different batches, `FOR UPDATE SKIP LOCKED`)."""

from __future__ import annotations

from sqlalchemy import Engine

from himaya.bootstrap import registry_contract, unit_of_work
from himaya.bootstrap.periodic import Periodic
from himaya.events import actions
from himaya.policy.pack import PolicyPack

WORKER = "events-worker"  # the worker's actor in the audit trail and its thread's name


def events_worker(engine: Engine, pack: PolicyPack, every: float) -> Periodic:
    def apply_waiting() -> None:
        actions.process(unit_of_work(engine), registry_contract(pack), actor=WORKER)

    return Periodic(WORKER, every, apply_waiting)
