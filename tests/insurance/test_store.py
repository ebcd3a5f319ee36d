"""The insurance's actions on the store, on SQLite and PostgreSQL: a refused file writes nothing, a
month is declared once (a correction is a new revision, never counted twice), payments and
arrears, careers, and the audit trail of each."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya.adapters.tables import read_table
from himaya.core.clock import now
from himaya.core.errors import ConflictError, InputTableError, InvalidInputError, NotFoundError
from himaya.core.periods import Period
from himaya.db import audit
from himaya.db.insurance_tables import insurance_declaration, insurance_due, insurance_line, insurance_payment
from himaya.db.people import merge_people
from himaya.db.registry_import import import_people
from himaya.db.stores import insurance as insurance_store
from himaya.db.tables import audit_entry
from himaya.db.uow import SqlUnitOfWork
from himaya.insurance import actions
from himaya.insurance.model import InsuranceConflictError
from himaya.policy.pack import PolicyPack
from himaya.policy.table import validate_table
from tests.conftest import REPO

EXAMPLES = REPO / "examples" / "insurance"
PEOPLE = REPO / "src/himaya/policy/packs/oman/examples/people.csv"
JANUARY, FEBRUARY = Period(2026, 1), Period(2026, 2)
TODAY = date(2026, 11, 30)
NIZWA, BATINAH = "1234567", "2345678"


@pytest.fixture
def registered(engine: Engine, oman: PolicyPack) -> Engine:
    people = validate_table(read_table(PEOPLE), oman.registry, source="people.csv")
    import_people(engine, people, as_of=date(2025, 12, 1), actor="registrar", source={"file": "people.csv"})
    actions.register_employers(
        SqlUnitOfWork(engine), oman, read_table(EXAMPLES / "employers.csv"), actor="officer", source="employers.csv"
    )
    return engine


def _raw(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"civil_number": pl.String, "wage": pl.String, "days": pl.String}, orient="row")


def _declare(engine: Engine, oman: PolicyPack, rows: list[tuple[str, str, str]], **kw: object) -> actions.Declared:
    options = {"employer": NIZWA, "month": JANUARY} | kw
    month, today = options.pop("month"), options.pop("today", TODAY)
    return actions.declare(
        SqlUnitOfWork(engine),
        oman,
        _raw(rows),
        month,
        actor="officer",
        source="d.csv",
        today=today,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def _count(engine: Engine, table: sa.Table, action: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    if action is not None:
        query = query.where(audit_entry.c.action == action)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_employers_are_registered_then_updated_by_their_number(registered: Engine, oman: PolicyPack) -> None:
    raw = read_table(EXAMPLES / "employers.csv").with_columns(
        pl.when(pl.col("cr_number") == NIZWA).then(pl.lit("Bahla")).otherwise("wilayat").alias("wilayat")
    )
    again = actions.register_employers(SqlUnitOfWork(registered), oman, raw, actor="officer", source="e.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    listed = actions.employers(SqlUnitOfWork(registered))
    assert listed.filter(pl.col("cr_number") == NIZWA)["wilayat"][0] == "Bahla"
    assert _count(registered, audit_entry, "insurance.employer.create") == 2
    assert _count(registered, audit_entry, "insurance.employer.update") == 1


def test_a_declaration_stores_its_lines_and_dues(registered: Engine, oman: PolicyPack) -> None:
    done = _declare(registered, oman, [("10000021", "420.000", "31"), ("10000061", "300", "31")])
    assert (done.employers, done.insured, done.wages) == (1, 2, 720_000)
    # Omani: 7.5 + 11 + 1 + 0.5 + 0.5 + 1 (maternity) % of 420; the Indian worker: maternity only, 1 % of 300.
    assert done.due == 420_000 * 215 // 1000 + 3_000
    dues = actions.contributions(SqlUnitOfWork(registered), JANUARY, NIZWA)
    assert dues.filter(pl.col("branch") == "old_age").select("insured", "employee", "employer").row(0) == (
        1,
        31_500,
        46_200,
    )
    assert dues.filter(pl.col("branch") == "maternity")["insured"][0] == 2
    assert set(dues["branch"]) == {"old_age", "work_injury", "job_security", "maternity"}  # no zero rows
    assert _count(registered, audit_entry, "insurance.declare") == 1


def test_a_refused_file_writes_nothing(registered: Engine, oman: PolicyPack) -> None:
    rows = [("10000021", "420.000", "31"), ("99999999", "300", "31"), ("10000062", "10.0001", "31")]
    with pytest.raises(InputTableError) as error:
        _declare(registered, oman, rows)
    assert [str(p) for p in error.value.problems] == [  # the file's and the registry's problems together
        "row 2, column civil_number, value '99999999': no person with this civil number in the registry",
        "row 3, column wage, value '10.0001': has more than 3 decimals: OMR amounts are exact to the baisa",
    ]
    assert _count(registered, insurance_declaration) == _count(registered, insurance_line) == 0
    assert _count(registered, audit_entry, "insurance.declare") == 0
    with pytest.raises(NotFoundError, match="no employer registered with commercial registration number '7777777'"):
        _declare(registered, oman, [("10000021", "420.000", "31")], employer="7777777")
    with pytest.raises(Exception, match="after the current month"):
        _declare(registered, oman, [("10000021", "420.000", "31")], month=Period(2026, 12))
    for today in (TODAY, date(2026, 11, 1)):  # the month is not over: its wages and days are not all known
        with pytest.raises(InvalidInputError, match=r"month 2026-11 has not ended yet .* from 2026-12-01 on"):
            _declare(registered, oman, [("10000021", "420.000", "30")], month=Period(2026, 11), today=today)


def test_the_dead_and_the_merged_cannot_be_declared(registered: Engine, oman: PolicyPack) -> None:
    merge_people(registered, "10000021", "10000022", actor="supervisor", as_of=date(2026, 1, 5))
    rows = [("10000022", "100", "28"), ("10000071", "100", "28")]  # 10000071 died on 2026-10-20
    with pytest.raises(InputTableError) as error:
        _declare(registered, oman, rows, month=Period(2026, 11), today=date(2026, 12, 1))
    assert [p.rule for p in error.value.problems] == [
        "is a duplicate record merged into 10000021: declare that civil number",
        "died on 2026-10-20, before the month",
    ]


def test_a_month_is_declared_once_and_a_correction_replaces_it(registered: Engine, oman: PolicyPack) -> None:
    _declare(registered, oman, [("10000021", "420.000", "31"), ("10000061", "300", "31")])
    with pytest.raises(InsuranceConflictError, match="2026-01 is already declared for employer 1234567"):
        _declare(registered, oman, [("10000021", "420.000", "31")])
    with pytest.raises(InsuranceConflictError, match="2026-01 is not declared yet for employer 2345678"):
        _declare(registered, oman, [("10000021", "420.000", "31")], employer=BATINAH, correct=True)
    corrected = _declare(registered, oman, [("10000021", "500.000", "31")], correct=True)
    assert (corrected.insured, corrected.wages, corrected.corrected) == (1, 500_000, True)
    dues = actions.contributions(SqlUnitOfWork(registered), JANUARY)
    assert dues.filter(pl.col("branch") == "old_age")["employee"].to_list() == [37_500]  # once, at its new wage
    assert int(dues.select(pl.col("employee").sum() + pl.col("employer").sum()).item()) == corrected.due
    career = actions.career(SqlUnitOfWork(registered), "10000021")
    assert career.select("month", "wage").rows() == [(date(2026, 1, 1), 500_000)]
    with pytest.raises(NotFoundError):
        actions.career(SqlUnitOfWork(registered), "10000061")  # no longer declared in the current revision
    assert _count(registered, insurance_line) == 3  # the first revision's lines are kept
    assert _count(registered, insurance_due) == 8
    assert _count(registered, audit_entry, "insurance.correct") == 1
    with registered.connect() as connection:
        assert connection.execute(sa.select(insurance_declaration.c.revision)).scalar_one() == 2


def test_the_store_refuses_a_second_declaration_of_a_month(registered: Engine, oman: PolicyPack) -> None:
    """Two requests that both passed the check: the unique index stops the second."""
    _declare(registered, oman, [("10000021", "420.000", "31")])
    uow = SqlUnitOfWork(registered)
    with uow:
        ids = uow.insurance.employer_ids([NIZWA])
        headers = pl.DataFrame({"employer_id": [ids[NIZWA]], "insured": [1], "wages": [1], "due": [1]})
        with pytest.raises(ConflictError, match="a declaration of 2026-01 is recorded already"):
            uow.insurance.add_declarations(headers, month=JANUARY.start, actor="x", stamp=now(), source="x")


def test_a_batch_declares_several_employers_and_names_an_unknown_one(registered: Engine, oman: PolicyPack) -> None:
    raw = pl.DataFrame(
        {
            "cr_number": [NIZWA, BATINAH, BATINAH, "7777777"],
            "civil_number": ["10000021", "10000021", "10000011", "10000051"],
            "wage": ["400", "100", "650.5", "10"],
            "days": ["31"] * 4,
        }
    )
    uow = SqlUnitOfWork(registered)
    with pytest.raises(InputTableError) as error:
        actions.declare(uow, oman, raw, JANUARY, actor="portal", source="batch.csv", today=TODAY)
    assert [str(p) for p in error.value.problems] == [
        "row 4, column cr_number, value '7777777': no employer registered with this commercial registration number"
    ]
    done = actions.declare(uow, oman, raw.head(3), JANUARY, actor="portal", source="batch.csv", today=TODAY)
    assert (done.employers, done.insured) == (2, 3)
    career = actions.career(SqlUnitOfWork(registered), "10000021")
    assert career.select("cr_number", "wage").rows() == [(NIZWA, 400_000), (BATINAH, 100_000)]  # two jobs


def test_payments_arrears_and_the_surcharge(registered: Engine, oman: PolicyPack) -> None:
    january = _declare(registered, oman, [("10000021", "420.000", "31")])
    february = _declare(registered, oman, [("10000021", "420.000", "28")], month=FEBRUARY)
    uow = SqlUnitOfWork(registered)
    actions.record_payment(
        uow,
        oman,
        employer=NIZWA,
        amount=january.due,
        received_on=date(2026, 2, 15),
        reference="T1",
        actor="f",
        today=TODAY,
    )
    actions.record_payment(
        uow, oman, employer=NIZWA, amount=50_000, received_on=date(2026, 4, 2), reference="T2", actor="f", today=TODAY
    )
    with pytest.raises(ConflictError, match="reference 'T2'"):
        actions.record_payment(
            uow,
            oman,
            employer=NIZWA,
            amount=50_000,
            received_on=date(2026, 4, 2),
            reference="T2",
            actor="f",
            today=TODAY,
        )
    for bad, message in ((0, "more than 0"), (-1, "more than 0")):
        with pytest.raises(Exception, match=message):
            actions.record_payment(
                uow, oman, employer=NIZWA, amount=bad, received_on=TODAY, reference="T3", actor="f", today=TODAY
            )
    with pytest.raises(Exception, match="after today"):
        actions.record_payment(
            uow, oman, employer=NIZWA, amount=1, received_on=date(2026, 12, 1), reference="T4", actor="f", today=TODAY
        )
    with pytest.raises(Exception, match="the reference"):
        actions.record_payment(
            uow, oman, employer=NIZWA, amount=1, received_on=TODAY, reference="T\n5", actor="f", today=TODAY
        )
    for reference in ("t2", " T2 "):  # the same transfer typed in another case, or with spaces
        with pytest.raises(InsuranceConflictError, match=r"reference 't2'|reference 'T2'.*as 'T2'"):
            actions.record_payment(
                uow, oman, employer=NIZWA, amount=50_000, received_on=date(2026, 4, 2), reference=reference,
                actor="f", today=TODAY,
            )  # fmt: skip
    refused = {
        "is more than 100,000,000.000 OMR": {"amount": 100_000_000_001},
        "received on 1900-02-12 is before 2024-01": {"received_on": date(1900, 2, 12)},
        "received on 2023-12-31 is before 2024-01": {"received_on": date(2023, 12, 31)},
    }
    for message, given in refused.items():
        with pytest.raises(InvalidInputError, match=message):
            actions.record_payment(
                uow, oman, **{"employer": NIZWA, "amount": 1, "received_on": TODAY, "reference": "T6"} | given,
                actor="f", today=TODAY,
            )  # fmt: skip
    assert _count(registered, insurance_payment) == 2
    table, credit = actions.arrears(SqlUnitOfWork(registered), oman, date(2026, 5, 31), NIZWA)
    rows = table.to_dicts()
    assert [(r["paid"], r["outstanding"], r["surcharge"]) for r in rows[:1]] == [(january.due, 0, 0)]
    # February (due 15 March): 50.000 paid on 2 April (1 month late), the rest unpaid on 31 May (3 months).
    rest = february.due - 50_000
    assert (rows[1]["paid"], rows[1]["outstanding"], rows[1]["months_late"]) == (50_000, rest, 3)
    assert rows[1]["surcharge"] == 500 + (rest * 3 + 50) // 100
    assert credit.is_empty()
    with registered.connect() as connection:
        assert audit.verify(connection).intact


def test_a_large_declaration_reads_the_registry_whole_with_the_same_answers(
    registered: Engine, oman: PolicyPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `LOOK_UP_ALL` insured persons an SQLite file's person table is read whole (Arrow-native):
    the same problems are found, the same dues computed."""
    monkeypatch.setattr(insurance_store, "LOOK_UP_ALL", 0)
    merge_people(registered, "10000021", "10000022", actor="supervisor", as_of=date(2026, 1, 5))
    with pytest.raises(InputTableError) as error:
        _declare(registered, oman, [("10000022", "100", "31"), ("99999999", "100", "31")])
    assert [p.rule for p in error.value.problems] == [
        "is a duplicate record merged into 10000021: declare that civil number",
        "no person with this civil number in the registry",
    ]
    done = _declare(registered, oman, [("10000021", "420.000", "31"), ("10000061", "300", "31")])
    assert done.due == 420_000 * 215 // 1000 + 3_000


def test_an_employers_file_cannot_declare_for_another_employer(registered: Engine, oman: PolicyPack) -> None:
    """With --employer, a cr_number column naming another employer is refused (the wages would go to
    the wrong account); an empty cell, or the employer's own number, is the named employer's."""
    raw = _raw([("10000021", "420.000", "31")]).with_columns(pl.lit(BATINAH).alias("cr_number"))
    with pytest.raises(InputTableError) as error:
        actions.declare(
            SqlUnitOfWork(registered), oman, raw, JANUARY, actor="o", source="d.csv", today=TODAY, employer=NIZWA
        )
    assert [p.rule for p in error.value.problems] == [f"names another employer than {NIZWA}, the one declared for"]
    assert _count(registered, insurance_declaration) == 0
    actions.declare(
        SqlUnitOfWork(registered), oman, raw.with_columns(pl.lit(NIZWA).alias("cr_number")), JANUARY, actor="o",
        source="d.csv", today=TODAY, employer=NIZWA,
    )  # fmt: skip
    dues = actions.contributions(SqlUnitOfWork(registered), JANUARY)
    assert set(dues["cr_number"]) == {NIZWA}
