"""The payroll's store behind `payroll.ports.PayrollStore`: set-based statements on the unit of work's
connection (staging tables, INSERT ... SELECT, COPY on PostgreSQL, Arrow reads), no decisions
(`himaya.payroll.actions` and `rules` make those). A unique index allows one line per person,
programme and month, ever, so no statement here can pay anyone twice. The bank files', answers' and
re-issues' statements are in `payroll_bank.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, Connection, case, delete, func, insert, literal, or_, select, text, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.schema import DropTable

from himaya.core.periods import Period
from himaya.db import staging
from himaya.db.bulk import raise_memory
from himaya.db.frames import read_frame
from himaya.db.registry_pack import attribute_types
from himaya.db.snapshot import people_query, read_people
from himaya.db.stores.award_paid import SqlSharePaid
from himaya.db.stores.awards import awarded
from himaya.db.stores.exceptions import in_force_between
from himaya.db.stores.payroll_bank import SqlBankStatements
from himaya.db.stores.payroll_reads import SqlPayrollReads
from himaya.db.tables import debt, enrollment, membership, payment_line, payroll_run, person, recovery
from himaya.payroll.model import STATUS_COLUMNS, STATUS_COUNTS, DebtStatus, LineKind, LineStatus, Run, RunState

COUNTED = {"preserve_rowcount": True}

LINE_COLUMNS = [
    "person_key",
    "programme",
    "month",
    "kind",
    "amount",
    "payee_key",
    "iban",
    "bank_code",
    "end_to_end_id",
    "status",
    "reason",
    "exception_case",
]
SEALED = (
    "end_to_end_id",
    "person_id",
    "programme",
    "month",
    "kind",
    "amount",
    "deduction",
    "payee_id",
    "iban",
    "bank_code",
    "status",
)


def run_of(row: Mapping[Any, Any]) -> Run:
    """The run as the actions see it, from its row."""
    return Run(
        row["id"],
        row["period"],
        RunState(row["state"]),
        row["version"],
        row["created_by"],
        row["submitted_by"],
        row["approved_at"],
        row["seal"],
        row["export"],
    )


class SqlPayrollStore(SqlBankStatements, SqlPayrollReads, SqlSharePaid):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- the run ---

    def run(self, period: Period) -> Run | None:
        row = self.connection.execute(select(payroll_run).where(payroll_run.c.period == period.start)).mappings()
        found = row.first()
        return run_of(found) if found else None

    def create_run(self, period: Period, *, actor: str, stamp: datetime) -> int:
        return int(
            self.connection.execute(
                insert(payroll_run)
                .values(period=period.start, state=RunState.CALCULATED.value, created_by=actor, created_at=stamp,
                        version=1)
                .returning(payroll_run.c.id)
            ).scalar_one()
        )  # fmt: skip

    def clear_run(self, run_id: int) -> None:
        """Recalculating replaces what the last calculation made; lines re-issued into this run stay.
        What its lines recovered is given back first (one statement each)."""
        connection = self.connection
        lines = select(payment_line.c.id).where(payment_line.c.run_id == run_id)
        taken = (
            select(recovery.c.debt_id, func.sum(recovery.c.amount).label("amount"))
            .where(recovery.c.line_id.in_(lines))
            .group_by(recovery.c.debt_id)
            .subquery("taken")
        )
        connection.execute(
            update(debt)
            .where(debt.c.id == taken.c.debt_id)
            .values(recovered=debt.c.recovered - taken.c.amount, status=DebtStatus.OPEN.value)
        )
        connection.execute(delete(recovery).where(recovery.c.line_id.in_(lines)))
        kept = payment_line.c.reason.is_not(None) & payment_line.c.reason.like("re-issued%")
        connection.execute(delete(payment_line).where(payment_line.c.run_id == run_id, ~kept))

    def go_live(self) -> date:
        first: date = self.connection.execute(select(func.min(payroll_run.c.period))).scalar_one()
        return first

    def exceptions(self, first: date, last: date) -> pl.DataFrame:
        return in_force_between(self.connection, first, last)

    def move(self, run: Run, after: RunState, values: Mapping[str, Any]) -> bool:
        moved = self.connection.execute(
            update(payroll_run)
            .where(payroll_run.c.id == run.id, payroll_run.c.version == run.version)
            .values({"state": after.value, "version": payroll_run.c.version + 1, **values}),
            execution_options=COUNTED,
        ).rowcount
        return bool(moved == 1)

    def settled_runs(self) -> list[Run]:
        waiting = (
            select(payment_line.c.id)
            .where(payment_line.c.run_id == payroll_run.c.id, payment_line.c.status == LineStatus.EXPORTED)
            .exists()
        )
        rows = self.connection.execute(
            select(payroll_run).where(payroll_run.c.state == RunState.EXPORTED, ~waiting).order_by(payroll_run.c.period)
        ).mappings()
        return [run_of(row) for row in rows]

    # --- what the run is calculated from ---

    def people(self, period: Period) -> pl.DataFrame:
        """Read Arrow-native: no caller has written to the registry in its transaction."""
        kinds = attribute_types(self.connection)
        query = people_query(period.end, accounts=True, keys=True, awards=True, attributes=kinds)
        return read_people(self.connection, query, committed=True, attributes=kinds)

    def active_enrollments(self) -> pl.DataFrame:
        """Read Arrow-native: the run's transaction does not write enrollments."""
        return read_frame(
            self.connection,
            select(
                person.c.civil_number.label("person_id"),
                enrollment.c.programme,
                enrollment.c.start_month,
                enrollment.c.end_month,
            )
            .join(person, person.c.id == enrollment.c.person_id)
            .where(person.c.merged_into.is_(None)),
            {"person_id": pl.String(), "programme": pl.String(), "start_month": pl.Date(), "end_month": pl.Date()},
            committed=True,
        )

    def awarded(self, period: Period) -> pl.DataFrame:
        return awarded(self.connection, period)

    def unpaid(self, month: Period, *, before: date) -> pl.DataFrame:
        """Read in the caller's transaction, which may have just removed lines of a run it calculates again."""
        rows = self.connection.execute(
            select(person.c.civil_number, enrollment.c.programme)
            .join(person, person.c.id == enrollment.c.person_id)
            .where(
                person.c.merged_into.is_(None),
                enrollment.c.start_month < before,
                enrollment.c.start_month <= month.start,
                or_(enrollment.c.end_month.is_(None), enrollment.c.end_month >= month.start),
                ~select(payment_line.c.id)
                .where(
                    payment_line.c.person_id == enrollment.c.person_id,
                    payment_line.c.programme == enrollment.c.programme,
                    payment_line.c.month == month.start,
                )
                .exists(),
            )
        ).all()
        return pl.DataFrame(rows, schema={"person_id": pl.String, "programme": pl.String}, orient="row")

    # --- lines ---

    def insert_lines(self, run_id: int, lines: pl.DataFrame) -> None:
        """From a staging table (COPY on PostgreSQL) in one statement, beneficiary and payee by row
        id. Lines already in any run are left out (through the unique index), and the index refuses
        what might slip through. Copied in the beneficiaries' row order, and so inserted: the
        once-a-month index (and, on SQLite, each line's foreign-key checks) then read page after
        page, not at random. On PostgreSQL the staged table is analysed (a fresh temporary table has
        no statistics to plan with), and the lines' people and run are checked and locked once for
        the whole statement by triggers (migration 0051), not three times a line."""
        connection = self.connection
        with staging.bulk_cache(connection):
            ordered = lines.select(LINE_COLUMNS).sort("person_key", "programme", "month")
            s = staging.load(connection, "payroll_staging", ordered)
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"ANALYZE {s.name}"))
                raise_memory(connection)  # the new lines, as the triggers read them, held in memory
            # Left out first, then inserted: a NOT EXISTS in the INSERT would probe the table it fills,
            # which PostgreSQL, planning for the empty table of a first run, scans whole for every line.
            connection.execute(
                delete(s).where(
                    select(payment_line.c.id)
                    .where(
                        payment_line.c.person_id == s.c.person_key,
                        payment_line.c.programme == s.c.programme,
                        payment_line.c.month == s.c.month,
                    )
                    .exists()
                )
            )
            renamed = {"person_key": "person_id", "payee_key": "payee_id"}
            targets = ["run_id", *(renamed.get(c, c) for c in LINE_COLUMNS)]
            connection.execute(
                insert(payment_line).from_select(targets, select(literal(run_id), *(s.c[c] for c in LINE_COLUMNS)))
            )
            connection.execute(DropTable(s))
            if connection.dialect.name == "postgresql":  # planned on what it holds now (see docs/scale.md)
                connection.execute(text("ANALYZE payment_line"))

    def waiting_lines(self) -> pl.DataFrame:
        return read_frame(
            self.connection,
            select(payment_line.c.id.label("line_id"), person.c.civil_number.label("payee"), payment_line.c.iban)
            .join(person, person.c.id == payment_line.c.payee_id)
            .where(payment_line.c.status.in_((LineStatus.REJECTED, LineStatus.RETURNED, LineStatus.EXCEPTION))),
            {"line_id": pl.Int64(), "payee": pl.String(), "iban": pl.String()},
        )

    def summary(self, run_id: int) -> tuple[str, list[int]]:
        state = self.connection.execute(select(payroll_run.c.state).where(payroll_run.c.id == run_id)).scalar_one()
        held = payment_line.c.status == LineStatus.EXCEPTION
        due = payment_line.c.amount - payment_line.c.deduction
        row = self.connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((held, 0), else_=due)), 0),
                func.coalesce(func.sum(case((held, 1), else_=0)), 0),
                func.coalesce(func.sum(case((payment_line.c.kind == LineKind.ARREARS, 1), else_=0)), 0),
                func.coalesce(func.sum(case((payment_line.c.reason.like("re-issued%"), 1), else_=0)), 0),
                func.coalesce(func.sum(payment_line.c.deduction), 0),
                func.coalesce(func.sum(case((held, due), else_=0)), 0),
            ).where(payment_line.c.run_id == run_id)
        ).one()
        return str(state), [int(v) for v in row]

    def sealed_lines(self, run_id: int) -> pl.DataFrame:
        types = {c: pl.String() for c in SEALED} | {"person_id": pl.Int64(), "month": pl.Date(), "amount": pl.Int64()}
        types |= {"deduction": pl.Int64(), "payee_id": pl.Int64()}
        return read_frame(
            self.connection,
            select(*(payment_line.c[c] for c in SEALED))
            .where(payment_line.c.run_id == run_id)
            .order_by(payment_line.c.end_to_end_id),
            types,
            committed=True,  # both callers seal before they write: the lines may be read Arrow-native
        )

    # --- debts and recoveries ---

    def overpaid(self) -> pl.DataFrame:
        beneficiary, payee, head_person = person.alias("beneficiary"), person.alias("payee"), person.alias("head")
        head = membership.alias("head_membership")
        rows = self.connection.execute(
            select(
                payment_line.c.id,
                payment_line.c.amount - payment_line.c.deduction,
                beneficiary.c.civil_number,
                beneficiary.c.death_date,
                payment_line.c.month,
                payee.c.id,
                payee.c.death_date,
                head_person.c.id,
                head_person.c.death_date,
            )
            .join(beneficiary, beneficiary.c.id == payment_line.c.person_id)
            .join(payee, payee.c.id == payment_line.c.payee_id)
            .outerjoin(membership, (membership.c.person_id == beneficiary.c.id) & (membership.c.valid_to.is_(None)))
            .outerjoin(
                head,
                (head.c.family_id == membership.c.family_id)
                & (head.c.relationship == "head")
                & head.c.valid_to.is_(None),
            )
            .outerjoin(head_person, head_person.c.id == head.c.person_id)
            .where(
                payment_line.c.status.in_((LineStatus.EXPORTED, LineStatus.PAID)),
                beneficiary.c.death_date.is_not(None),
                beneficiary.c.death_date < payment_line.c.month,
                ~select(debt.c.id).where(debt.c.line_id == payment_line.c.id).exists(),
            )
        ).all()
        names = ["line_id", "amount", "civil", "died", "month", "payee_id", "payee_died", "head_id", "head_died"]
        types = [pl.Int64, pl.Int64, pl.String, pl.Date, pl.Date, pl.Int64, pl.Date, pl.Int64, pl.Date]
        return pl.DataFrame(rows, schema=dict(zip(names, types, strict=True)), orient="row")

    def add_debts(self, debts: pl.DataFrame, *, stamp: datetime) -> None:
        self.connection.execute(
            insert(debt),
            [
                {**row, "person_id": row.pop("debtor"), "recovered": 0, "created_at": stamp}
                for row in debts.iter_rows(named=True)
            ],
        )

    def open_debts(self) -> pl.DataFrame:
        return read_frame(
            self.connection,
            select(
                debt.c.id.label("debt_id"),
                debt.c.person_id.label("debtor"),
                (debt.c.amount - debt.c.recovered).label("outstanding"),
            ).where(debt.c.status == DebtStatus.OPEN, debt.c.amount > debt.c.recovered),
            {"debt_id": pl.Int64(), "debtor": pl.Int64(), "outstanding": pl.Int64()},
        )

    def debtor_lines(self, run_id: int) -> pl.DataFrame:
        debtors = select(debt.c.person_id).where(debt.c.status == DebtStatus.OPEN)
        return read_frame(
            self.connection,
            select(
                payment_line.c.id.label("line_id"), payment_line.c.payee_id.label("payee"), payment_line.c.amount
            ).where(
                payment_line.c.run_id == run_id,
                payment_line.c.status == LineStatus.PENDING,
                payment_line.c.payee_id.in_(debtors),
            ),
            {"line_id": pl.Int64(), "payee": pl.Int64(), "amount": pl.Int64()},
        )

    def recover(self, taken: pl.DataFrame) -> None:
        connection = self.connection
        s = staging.load(connection, "recovery_staging", taken)
        connection.execute(
            insert(recovery).from_select(["debt_id", "line_id", "amount"], select(s.c.debt_id, s.c.line_id, s.c.amount))
        )
        by_debt = select(s.c.debt_id, func.sum(s.c.amount).label("amount")).group_by(s.c.debt_id).subquery("by_debt")
        settled = debt.c.recovered + by_debt.c.amount >= debt.c.amount
        connection.execute(
            update(debt)
            .where(debt.c.id == by_debt.c.debt_id)
            .values(
                recovered=debt.c.recovered + by_debt.c.amount,
                status=case((settled, literal(DebtStatus.SETTLED.value)), else_=literal(DebtStatus.OPEN.value)),
            )
        )
        by_line = select(s.c.line_id, func.sum(s.c.amount).label("amount")).group_by(s.c.line_id).subquery("by_line")
        connection.execute(
            update(payment_line).where(payment_line.c.id == by_line.c.line_id).values(deduction=by_line.c.amount)
        )
        connection.execute(DropTable(s))

    # --- what a finance officer reads ---

    def figures(self, run_ids: Sequence[int] | None) -> dict[int, dict[str, int]]:
        line = payment_line
        due = line.c.amount - line.c.deduction

        def total(expression: Any) -> Any:
            return sa_cast(func.coalesce(func.sum(expression), 0), BigInteger)

        wanted: Any = select(payroll_run.c.id).where(payroll_run.c.figures.is_(None)) if run_ids is None else run_ids
        rows = self.connection.execute(
            select(
                line.c.run_id,
                func.count(),
                total(case((line.c.status == LineStatus.EXCEPTION, 0), else_=due)),
                total(case((line.c.status == LineStatus.EXCEPTION, due), else_=0)),
                total(case((line.c.status == LineStatus.PAID, due), else_=0)),
                *(total(case((line.c.status == s, 1), else_=0)) for s in STATUS_COUNTS),
            )
            .where(line.c.run_id.in_(wanted))
            .group_by(line.c.run_id)
        ).all()
        return {int(row[0]): dict(zip(STATUS_COLUMNS, (int(v) for v in row[1:]), strict=True)) for row in rows}

    def runs(self) -> list[tuple[int, date, str, str | None, str | None, str | None]]:
        rows = self.connection.execute(
            select(
                payroll_run.c.id,
                payroll_run.c.period,
                payroll_run.c.state,
                payroll_run.c.submitted_by,
                payroll_run.c.approved_by,
                payroll_run.c.figures,
            ).order_by(payroll_run.c.period)
        ).all()
        return [(int(i), p, str(s), sub, appr, fig) for i, p, s, sub, appr, fig in rows]
