"""What the payroll already paid of survivor pensions whose shares changed (`payroll.shares` decides):
the survivors' months owed by their share rows against their lines exported or paid, the months paid
too much made debts (in the caller's transaction: a review's, a death's, a cancellation's), and for
the run, what each survivor was paid a month (the top-ups' input)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select, update

from himaya.db.award_tables import insurance_award as award
from himaya.db.award_tables import insurance_award_share as share
from himaya.db.frames import read_frame
from himaya.db.tables import debt, membership, payment_line, person
from himaya.insurance.award_model import AwardState
from himaya.payroll import shares as rules
from himaya.payroll.model import DebtStatus, LineStatus
from himaya.payroll.rules import debtors

PAID = (AwardState.APPROVED.value, AwardState.ENDED.value)


def _lines(connection: Connection, keys: Sequence[int]) -> pl.DataFrame:
    head, mine = membership.alias("head"), membership.alias("mine")
    head_person, payee = person.alias("head_person"), person.alias("payee")
    query = (
        select(payment_line.c.id.label("line_id"), payment_line.c.person_id.label("person_key"), payment_line.c.month,
               payment_line.c.amount, payment_line.c.deduction, debt.c.id.label("debt_id"),
               debt.c.amount.label("debt_amount"), debt.c.recovered, payment_line.c.payee_id,
               payee.c.death_date.label("payee_died"), head_person.c.id.label("head_id"),
               head_person.c.death_date.label("head_died"))
        .join(payee, payee.c.id == payment_line.c.payee_id)
        .outerjoin(debt, debt.c.line_id == payment_line.c.id)
        .outerjoin(mine, (mine.c.person_id == payment_line.c.person_id) & mine.c.valid_to.is_(None))
        .outerjoin(head, (head.c.family_id == mine.c.family_id) & (head.c.relationship == "head")
                   & head.c.valid_to.is_(None))
        .outerjoin(head_person, head_person.c.id == head.c.person_id)
        .where(payment_line.c.person_id.in_(list(keys)), payment_line.c.programme.in_(rules.PAID_PROGRAMMES),
               payment_line.c.status.in_((LineStatus.EXPORTED.value, LineStatus.PAID.value)))
        .order_by(payment_line.c.id)
    )  # fmt: skip
    schema = {"line_id": pl.Int64(), "person_key": pl.Int64(), "month": pl.Date(), "amount": pl.Int64(),
              "deduction": pl.Int64(), "debt_id": pl.Int64(), "debt_amount": pl.Int64(), "recovered": pl.Int64(),
              "payee_id": pl.Int64(), "payee_died": pl.Date(), "head_id": pl.Int64(),
              "head_died": pl.Date()}  # fmt: skip
    return read_frame(connection, query, schema).unique("line_id", keep="first", maintain_order=True)


def _rows(connection: Connection, keys: Sequence[int]) -> pl.DataFrame:
    query = (
        select(share.c.person_id.label("person_key"), share.c.valid_from, share.c.valid_to, award.c.start_date,
               award.c.end_date, share.c.amount, person.c.death_date)
        .join(award, award.c.id == share.c.award_id)
        .join(person, person.c.id == share.c.person_id)
        .where(share.c.person_id.in_(list(keys)), award.c.state.in_(PAID))
    )  # fmt: skip
    schema = {"person_key": pl.Int64(), "valid_from": pl.Date(), "valid_to": pl.Date(), "start_date": pl.Date(),
              "end_date": pl.Date(), "amount": pl.Int64(), "death_date": pl.Date()}  # fmt: skip
    return read_frame(connection, query, schema)


def settle(connection: Connection, keys: Sequence[int], *, said: str, stamp: datetime) -> list[dict[str, Any]]:
    """The survivors' (person row ids) months paid too much, now that their shares changed, made debts
    (or added to a line's debt), and their debts not recovered lowered where a month is now owed more;
    each change as a dict for the audit trail."""
    lines = _lines(connection, keys)
    if not lines.height:
        return []
    owed = rules.owed_months(_rows(connection, keys), lines["month"].max())  # type: ignore[arg-type]
    new, changed = rules.debts(lines, owed)
    said_of = dict(zip(lines["line_id"].to_list(), lines["month"].to_list(), strict=True))
    out: list[dict[str, Any]] = []
    if new.height:
        who = new.join(debtors(lines), on="line_id")
        values = [{"person_id": r["debtor"], "line_id": r["line_id"], "amount": r["amount"], "recovered": 0,
                   "status": r["status"], "reason": f"survivor's share paid too much for "
                   f"{said_of[r['line_id']]:%Y-%m}: {said}"[:1000], "created_at": stamp}
                  for r in who.iter_rows(named=True)]  # fmt: skip
        connection.execute(insert(debt), values)
        out += [{"action": "debt.create", "subject": f"line:{v['line_id']}", "before": None,
                 "after": {"debtor": v["person_id"], "amount": v["amount"], "reason": v["reason"],
                           "status": v["status"]}} for v in values]  # fmt: skip
    for debt_id, amount in changed.iter_rows():
        before = connection.execute(select(debt.c.amount, debt.c.recovered).where(debt.c.id == debt_id)).one()
        status = DebtStatus.SETTLED.value if amount <= before.recovered else DebtStatus.OPEN.value
        connection.execute(update(debt).where(debt.c.id == debt_id).values(amount=amount, status=status))
        out.append({"action": "debt.update", "subject": f"debt:{debt_id}", "before": {"amount": before.amount},
                    "after": {"amount": amount, "status": status, "reason": said}})  # fmt: skip
    return out


def paid(connection: Connection) -> pl.DataFrame:
    """person_id (civil number), month, paid: each month's survivor lines (top-ups included, in any
    state: a rejected one is re-issued) less their debts, of the survivors whose shares were split."""
    split = select(share.c.person_id).where(share.c.valid_to.is_not(None))
    query = (
        select(person.c.civil_number, payment_line.c.month,
               func.sum(payment_line.c.amount - func.coalesce(debt.c.amount, 0)))
        .join(person, person.c.id == payment_line.c.person_id)
        .outerjoin(debt, debt.c.line_id == payment_line.c.id)
        .where(payment_line.c.programme.in_(rules.PAID_PROGRAMMES), payment_line.c.person_id.in_(split))
        .group_by(person.c.civil_number, payment_line.c.month)
    )  # fmt: skip
    return read_frame(connection, query, {"person_id": pl.String(), "month": pl.Date(), "paid": pl.Int64()})


class SqlSharePaid:
    """The payroll store's part: what survivors were paid a month, and their months settled by a run."""

    connection: Connection

    def share_paid(self) -> pl.DataFrame:
        return paid(self.connection)

    def settle_shares(self, *, said: str, stamp: datetime) -> int:
        split = select(share.c.person_id).where(share.c.valid_to.is_not(None)).distinct()
        keys = [int(k) for k in self.connection.execute(split).scalars()]
        return len(settle(self.connection, keys, said=said, stamp=stamp)) if keys else 0
