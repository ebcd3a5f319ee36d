"""The enrollment's use case at the month's start: everyone entitled enrolled, the others ended, in
one unit of work with its audit entry."""

from __future__ import annotations

from datetime import date

from himaya.core.audit import Change, canonical_actor
from himaya.core.periods import Period
from himaya.enrollment.model import SyncSummary
from himaya.enrollment.ports import EnrollmentUnitOfWork, StopRecorder
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack


def sync_enrollments(
    uow: EnrollmentUnitOfWork,
    pack: PolicyPack,
    period: Period,
    *,
    actor: str,
    today: date,
    record_stops: StopRecorder | None = None,
) -> SyncSummary:
    """Enroll everyone entitled in `period` and end the enrollments of those no longer entitled; each
    ending recorded as a decision the person is told of (`record_stops`), in the same transaction."""
    actor = canonical_actor(actor)
    with uow:
        store = uow.enrollments
        people = store.people(period)
        entitled = entitlements(people.select(pack.schema.names), pack, pack.parameters, period)
        to_enroll, to_end = store.plan(pack, period, entitled, people)
        store.enroll(to_enroll, today)
        decisions = 0
        if to_end.height:
            store.end(to_end)
            if record_stops is not None:
                decisions = record_stops(to_end, people, period, actor=actor, today=today)
        counts = {"enrolled": to_enroll.height, "ended": to_end.height, "decisions": decisions}
        uow.audit.record([Change("enrollment.sync", f"period:{period}", None, counts)], actor=actor)
        uow.commit()
    return SyncSummary(to_enroll.height, to_end.height, decisions)
