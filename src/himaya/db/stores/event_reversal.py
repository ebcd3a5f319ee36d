"""What undoing a cancelled registration needs from the store, in the worker's transaction: what the
first event did (its audit entries), the registration of a child whose birth was cancelled withdrawn
(its rows kept, their validity emptied), the enrollments the event started ended as never in force
(the lines already paid becoming debts, as the payroll makes of a line paid after a death) and those
it ended reopened (the months not paid then owed as arrears by the next payroll run)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from himaya.core.errors import ConflictError
from himaya.core.periods import Period
from himaya.db import staging
from himaya.db.award_tables import insurance_award as award
from himaya.db.award_tables import insurance_award_share as share
from himaya.db.event_tables import event_effect
from himaya.db.people import TIME_BOUND
from himaya.db.stores import award_paid
from himaya.db.tables import audit_entry, debt, enrollment, membership, payment_line, person
from himaya.events.reversal import EFFECTS as EMPTY
from himaya.events.reversal import UNDONE
from himaya.payroll.model import LineStatus
from himaya.payroll.rules import debtors

COUNTED = {"preserve_rowcount": True}
EFFECTS = EMPTY.schema


def effects(connection: Connection, events: Sequence[int]) -> pl.DataFrame:
    """The audit entries these events wrote, with their applied corrections' (under the event they
    correct), as the worker linked them (`event_effect`, by index): event, action, subject
    (`person:<civil number>`, `award:<id>`), before and after (JSON), oldest first."""
    if not events:
        return pl.DataFrame(schema=EFFECTS)
    rows = connection.execute(
        select(event_effect.c.registration, audit_entry.c.action, audit_entry.c.subject, audit_entry.c.before,
               audit_entry.c.after)
        .join(audit_entry, audit_entry.c.hash == event_effect.c.entry_hash)
        .where(event_effect.c.registration.in_(sorted({int(e) for e in events})), audit_entry.c.action.in_(UNDONE))
        .order_by(audit_entry.c.id)
    ).all()  # fmt: skip
    return pl.DataFrame([tuple(r) for r in rows], schema=EFFECTS, orient="row")


def link(connection: Connection, links: pl.DataFrame) -> None:
    """Keep which audit entries (entry_hash) each event wrote, under its registration (registration, event)."""
    if not links.is_empty():
        staging.append(connection, event_effect, links.select("entry_hash", "registration", "event"))


def withdraw(connection: Connection, births: pl.DataFrame) -> int:
    """Withdraw the people registered by cancelled births (person_id, birth_date): every time-bound
    row of theirs is kept but valid on no day (from and to the birth date), so that no reading of
    the registry, at any date, holds them; the person row keeps the civil number."""
    done = 0
    for civil, born in births.select("person_id", "birth_date").iter_rows():
        key = select(person.c.id).where(person.c.civil_number == civil).scalar_subquery()
        for table in TIME_BOUND.values():
            result = connection.execute(
                update(table)
                .where(table.c.person_id == key)
                .values(valid_from=func.coalesce(table.c.valid_from, born), valid_to=func.coalesce(table.c.valid_from,
                                                                                                  born)),
                execution_options=COUNTED,
            )  # fmt: skip
            done += int(result.rowcount or 0)
        connection.execute(update(person).where(person.c.id == key).values(version=person.c.version + 1))
    return done


def _by_event(kind: str, event: int) -> Any:
    return enrollment.c.reason.contains(f"{kind} (event {event})")  # the re-plan's note: `... death (event 12)`


def undo_enrollments(connection: Connection, undone: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
    """For each cancelled event (event, kind, cancellation, person_id: the people it touched): the
    enrollments its re-plan started end as never in force (end_month the month before their start),
    their exported or paid lines becoming debts; those it ended are active again from their start
    (the payroll then owes the months without a line as arrears). Each change as a dict for the audit."""
    changed: list[dict[str, Any]] = []
    for (event, kind, cancellation), people in undone.group_by(["event", "kind", "cancellation"], maintain_order=True):
        keys = select(person.c.id).where(person.c.civil_number.in_(people["person_id"].to_list()))
        rows = connection.execute(
            select(enrollment, person.c.civil_number)
            .join(person, person.c.id == enrollment.c.person_id)
            .where(enrollment.c.person_id.in_(keys), _by_event(str(kind), int(event)))
            .order_by(enrollment.c.id)
        ).mappings().all()  # fmt: skip
        for row in rows:
            said = f"the {kind} (event {event}) was cancelled (event {cancellation})"
            if row["status"] == "active":
                end = Period.containing(row["start_month"]).shifted(-1).start
                values = {"status": "ended", "end_month": end, "reason": f"{row['reason']}; {said}: never in force"}
                changed += _debts(connection, row, said=said, stamp=stamp)
            else:
                values = {"status": "active", "end_month": None, "reason": f"{row['reason']}; {said}: in force again"}
            connection.execute(
                update(enrollment)
                .where(enrollment.c.id == row["id"])
                .values(**values, version=enrollment.c.version + 1)
            )
            before = {"status": row["status"], "end_month": row["end_month"]}
            after = {**values, "person": row["civil_number"], "event": int(cancellation)}
            changed.append({"action": "enrollment.undo", "subject": f"enrollment:{row['id']}", "before": before,
                            "after": after})  # fmt: skip
    return changed


def _debts(connection: Connection, row: Any, *, said: str, stamp: datetime) -> list[dict[str, Any]]:
    """The lines paid under an enrollment that was never in force become debts, owed as the payroll
    says for a line paid after a death: by the payee, or the family's head when the payee is the
    beneficiary whose registration was withdrawn (or died)."""
    head = membership.alias("head")
    mine = membership.alias("mine")
    head_person, payee = person.alias("head_person"), person.alias("payee")
    lines = connection.execute(
        select(payment_line.c.id, (payment_line.c.amount - payment_line.c.deduction).label("amount"),
               payment_line.c.month, payment_line.c.payee_id, payee.c.death_date, head_person.c.id,
               head_person.c.death_date)
        .join(payee, payee.c.id == payment_line.c.payee_id)
        .outerjoin(mine, (mine.c.person_id == payment_line.c.person_id))
        .outerjoin(head, (head.c.family_id == mine.c.family_id) & (head.c.relationship == "head")
                   & head.c.valid_to.is_(None) & (head.c.person_id != payment_line.c.person_id))
        .outerjoin(head_person, head_person.c.id == head.c.person_id)
        .where(payment_line.c.person_id == row["person_id"], payment_line.c.programme == row["programme"],
               payment_line.c.month >= row["start_month"],
               payment_line.c.status.in_((LineStatus.EXPORTED.value, LineStatus.PAID.value)),
               ~select(debt.c.id).where(debt.c.line_id == payment_line.c.id).exists())
        .order_by(payment_line.c.id)
    ).all()  # fmt: skip
    if not lines:
        return []
    names = ["line_id", "amount", "month", "payee_id", "payee_died", "head_id", "head_died"]
    frame = pl.DataFrame([tuple(r) for r in lines], schema=names, orient="row").unique(
        "line_id", keep="first", maintain_order=True
    )
    gone = date.min.replace(year=1900)  # the withdrawn beneficiary is no payee who repays
    frame = frame.with_columns(
        pl.when(pl.col("payee_id") == row["person_id"]).then(pl.lit(gone)).otherwise(pl.col("payee_died"))
        .alias("payee_died")
    )  # fmt: skip
    owed = frame.join(debtors(frame), on="line_id")
    reason = f"paid for {{}} to {row['civil_number']}: {said}"
    values = [
        {"person_id": r["debtor"], "line_id": r["line_id"], "amount": r["amount"], "recovered": 0,
         "status": r["status"], "reason": reason.format(r["month"].strftime("%Y-%m")), "created_at": stamp}
        for r in owed.iter_rows(named=True)
    ]  # fmt: skip
    connection.execute(insert(debt), values)
    return [
        {"action": "debt.create", "subject": f"line:{v['line_id']}", "before": None,
         "after": {"debtor": v["person_id"], "amount": v["amount"], "reason": v["reason"], "status": v["status"]}}
        for v in values
    ]  # fmt: skip


def reopen_awards(connection: Connection, ended: pl.DataFrame) -> int:
    """The insurance awards a cancelled death ended (award id, before: JSON of state and end_date) as they were."""
    done = 0
    for award_id, before in ended.select("award", "before").iter_rows():
        said = json.loads(before or "{}")
        result = connection.execute(
            update(award)
            .where(award.c.id == int(award_id), award.c.state == "ended")
            .values(state=said.get("state"), end_date=_day(said.get("end_date")), ended_by=None, ended_at=None,
                    end_reason=None, version=award.c.version + 1),
            execution_options=COUNTED,
        )  # fmt: skip
        done += int(result.rowcount or 0)
    return done


def restore_shares(connection: Connection, splits: pl.DataFrame, *, stamp: datetime) -> list[dict[str, Any]]:
    """The survivor pensions' shares a cancelled death split again (award, after: the review's entry,
    cancellation) as they were: the rows it started never in force (ended the day before their
    start), the rows it ended open again from their own start; then the months paid too much or too
    little settled (`award_paid.settle`). ConflictError (the batch is applied one event at a time and
    this one kept as failed with the reason) if several survivors left at once, or a row it started
    has changed since."""
    changed: list[dict[str, Any]] = []
    for award_id, after, cancellation in splits.select("award", "after", "cancellation").iter_rows():
        said = json.loads(after or "{}")
        if len(said["left"]) > 1:
            raise ConflictError(
                f"award {award_id}: {len(said['left'])} survivors left it at once, not only the one whose death"
                f" is cancelled (event {cancellation}): an officer reviews the award"
            )
        named = [r["civil_number"] for r in said["shares"] + said["ended"]]
        keys = dict(connection.execute(select(person.c.civil_number, person.c.id).where(
            person.c.civil_number.in_(named))).all())  # fmt: skip
        for r in said["shares"]:
            if not _never_in_force(connection, int(award_id), keys[r["civil_number"]], r):
                raise ConflictError(
                    f"award {award_id}: the share of {r['civil_number']} from {r['valid_from']} has changed since"
                    f" the death it cancels (event {cancellation}): an officer reviews the award"
                )
        for r in said["ended"]:
            last = date.fromisoformat(r["last_day"])
            mine = (share.c.award_id == int(award_id)) & (share.c.person_id == keys[r["civil_number"]])
            ended = (share.c.valid_to == last) & (share.c.valid_from <= last)  # not a row just made never in force
            connection.execute(update(share).where(mine, ended).values(valid_to=None))
        connection.execute(update(award).where(award.c.id == int(award_id)).values(version=award.c.version + 1))
        restored = {"reopened": said["ended"], "never_in_force": said["shares"], "event": cancellation}
        changed.append({"action": "insurance.award.restore", "subject": f"award:{award_id}", "before": None,
                        "after": restored})  # fmt: skip
        why = f"the death it followed was cancelled (event {cancellation})"
        changed += award_paid.settle(connection, sorted(set(keys.values())), said=why, stamp=stamp)
    return changed


def _never_in_force(connection: Connection, award_id: int, key: int, row: dict[str, Any]) -> bool:
    """The share row a split started (as its audit entry says it) ended the day before its start, if
    it is as the split left it."""
    start, end = date.fromisoformat(row["valid_from"]), _day(row.get("valid_to"))
    then = share.c.valid_to.is_(None) if end is None else share.c.valid_to == end
    done = connection.execute(
        update(share)
        .where(share.c.award_id == award_id, share.c.person_id == key, share.c.valid_from == start, then)
        .values(valid_to=start - timedelta(days=1)),
        execution_options=COUNTED,
    ).rowcount
    return bool(done == 1)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
