"""Issue 16's leftovers, on SQLite and PostgreSQL: a survivor who leaves a survivor pension by
themselves (a child's age limit from the calendar's scan, a widow's or daughter's marriage from the
civil registry) leaves it as a review would; months the payroll paid a leaver after they left become
debts and the others' higher shares for those months are topped up by the next run; a cancelled
death brings the survivor's share back and undoes the pension shared again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from himaya.adapters.iso20022 import write_pain001
from himaya.bootstrap import payroll
from himaya.core.periods import Period
from himaya.db.engine import connect
from himaya.db.tables import audit_entry, debt, payment_line, person
from himaya.policy.packs import load_pack
from tests.insurance.award_users import as_user
from tests.insurance.test_award_deaths import _approved_survivor_pension
from tests.insurance.test_awards import (
    PAYER,
    ok,
    store,  # noqa: F401  (the fixture)
)
from tests.insurance.test_commands import himaya

JULY = Period(2026, 7)


@pytest.fixture
def family(store: str) -> str:  # noqa: F811
    """The example store with Mr 10000021's son 10000024 born on 15 September 2005 (21 on 15 September
    2026) and his daughter 10000025 born on 15 January 2007 (a grown daughter, who may marry)."""
    engine = connect(store)
    with engine.begin() as connection:  # birth dates corrected (an import does not move one)
        for civil, born in (("10000024", "2005-09-15"), ("10000025", "2007-01-15")):
            connection.execute(sa.text("UPDATE person SET birth_date = :b WHERE civil_number = :c"),
                               {"b": born, "c": civil})  # fmt: skip
    engine.dispose()
    return store


def _paid_out(url: str, folder: Path, *months: Period) -> None:
    """The payroll of July (its go-live) to `months` calculated, approved and sent to the bank."""
    engine, pack = connect(url), load_pack()
    month = JULY
    while month.start <= months[-1].start:
        payroll.sync_enrollments(engine, pack, month, actor="officer", today=month.start)
        payroll.calculate(engine, pack, month, actor="maker")
        for action, actor in (("submit", "maker"), ("approve", "checker")):
            payroll.transition(engine, month, action, actor=actor)
        payroll.export(engine, month, folder / str(month), actor="finance", payer=PAYER,
                       execution=month.start.replace(day=25), writer=write_pain001)  # fmt: skip
        month = month.shifted(1)
    engine.dispose()


def _calculate(url: str, month: Period) -> None:
    engine, pack = connect(url), load_pack()
    payroll.sync_enrollments(engine, pack, month, actor="officer", today=month.start)
    payroll.calculate(engine, pack, month, actor="maker")
    engine.dispose()


def _lines(url: str, civil: str) -> dict[tuple[str, date], tuple[int, str]]:
    """(programme, month): (amount, kind) of the survivor lines of `civil`."""
    engine = connect(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(payment_line.c.programme, payment_line.c.month, payment_line.c.amount, payment_line.c.kind)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(person.c.civil_number == civil, payment_line.c.programme.like("survivor%"))
        ).all()
    engine.dispose()
    return {(p, m): (a, k) for p, m, a, k in rows}


def _debts(url: str, civil: str) -> dict[date, tuple[int, str]]:
    """month of the line: (amount, reason) of the debts on `civil`'s survivor lines."""
    engine = connect(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(payment_line.c.month, debt.c.amount, debt.c.reason)
            .join(payment_line, payment_line.c.id == debt.c.line_id)
            .join(person, person.c.id == payment_line.c.person_id)
            .where(person.c.civil_number == civil)
        ).all()
    engine.dispose()
    return {m: (a, r) for m, a, r in rows}


def _shares(url: str) -> list[tuple[str, int, date, date | None]]:
    engine = connect(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.civil_number, s.amount, s.valid_from, s.valid_to FROM insurance_award_share s "
                "JOIN person p ON p.id = s.person_id ORDER BY s.id"
            )
        ).all()
    engine.dispose()
    return [(c, int(a), _day(f), _day(t)) for c, a, f, t in rows]


def _day(value: object) -> date | None:
    return None if value is None else value if isinstance(value, date) else date.fromisoformat(str(value))


def test_a_review_finding_a_leaver_late_makes_debts_and_top_ups(family: str, tmp_path: Path) -> None:
    before = _approved_survivor_pension(family)
    _paid_out(family, tmp_path, Period(2026, 11))  # July to November sent to the bank at the old shares
    done = ok(as_user(family, "nasser", "insurance", "award-review", "1", "--version", "2"))
    assert "10000024 left (child aged 21 on 2026-09-15)" in done
    owed = _debts(family, "10000024")  # paid for October and November, after he left in September
    assert sorted(owed) == [date(2026, 10, 1), date(2026, 11, 1)]
    assert {a for a, _ in owed.values()} == {before["10000024"]}
    assert (
        "survivor's share paid too much for 2026-10: award 1 shared again: 10000024 left on 2026-09-15"
        in (owed[date(2026, 10, 1)][1])
    )
    _calculate(family, Period(2026, 12))
    lines = _lines(family, "10000026")
    new = lines[("survivor_pension", date(2026, 12, 1))][0]
    assert new > before["10000026"]  # a quarter of the pension now, not a sixth
    for month in (date(2026, 10, 1), date(2026, 11, 1)):  # the months paid at the sixth: topped up
        assert lines[("survivor_topup", month)] == (new - before["10000026"], "arrears")
    assert ("survivor_topup", date(2026, 9, 1)) not in lines  # September was owed as paid
    assert not any(p == "survivor_topup" for p, _ in _lines(family, "10000022"))  # the widows' half unchanged
    _calculate(family, Period(2026, 12))  # calculated again: the same lines, no top-up twice
    assert _lines(family, "10000026") == lines
    assert "HMYPT2610-10000026" in _end_to_end(family)


def _end_to_end(url: str) -> set[str]:
    engine = connect(url)
    with engine.connect() as connection:
        found = set(connection.execute(sa.select(payment_line.c.end_to_end_id)).scalars())
    engine.dispose()
    return found


def test_the_scan_and_a_marriage_let_survivors_leave_by_themselves(family: str, tmp_path: Path) -> None:
    before = _approved_survivor_pension(family)
    ok(himaya("events", "scan", "--period", "2026-09"))
    assert "0 received" in ok(himaya("events", "scan", "--period", "2026-09"))  # again: the same ids, nothing new
    marriage = tmp_path / "marriage.csv"
    marriage.write_text("event_id,kind,event_date,person_id,spouse_id\n"
                        "M25,marriage,2026-10-20,10000025,\nM26,marriage,2026-10-21,10000026,\n")  # fmt: skip
    ok(himaya("events", "import", marriage))
    ok(himaya("events", "process"))
    shares = _shares(family)
    ended = {c: t for c, _, f, t in shares if f == date(2026, 7, 1)}
    assert ended["10000024"] == date(2026, 9, 30)  # paid to the end of the month of his 21st birthday
    assert (ended["10000022"], ended["10000025"]) == (date(2026, 9, 30), date(2026, 9, 30))  # shared again
    from_october = {c: (a, t) for c, a, f, t in shares if f == date(2026, 10, 1)}
    assert "10000024" not in from_october
    assert from_october["10000025"][1] == date(2026, 10, 31)  # the daughter married in October
    from_november = {c: a for c, a, f, t in shares if f == date(2026, 11, 1) and t is None}
    assert set(from_november) == {"10000022", "10000023", "10000026"}  # a son's marriage ends nothing
    assert from_november["10000026"] == (sum(before.values()) + 1) // 2  # the children's half, one child left
    engine = connect(family)
    with engine.connect() as connection:
        reviews = connection.execute(
            sa.select(audit_entry.c.after).where(audit_entry.c.action == "insurance.award.review")
        ).scalars().all()  # fmt: skip
        kinds = dict(connection.execute(sa.text("SELECT source_event_id, state FROM event_inbox")).all())
    engine.dispose()
    assert len(reviews) == 1 and '"event"' in str(reviews[0])  # one batch: the two leavers in one review
    assert kinds["survivor_age_limit:10000024"] == "applied" and "survivor_age_limit:10000025" not in kinds
    assert "child aged 21 on 2026-09-15" in str(reviews[0]) and "marriage on 2026-10-20" in str(reviews[0])


def test_a_cancelled_death_brings_the_survivors_share_back(store: str, tmp_path: Path) -> None:  # noqa: F811
    before = _approved_survivor_pension(store)
    events = tmp_path / "death.csv"
    events.write_text("event_id,kind,event_date,person_id\nD23,death,2026-09-05,10000023\n")
    ok(himaya("events", "import", events))
    ok(himaya("events", "process"))
    _paid_out(store, tmp_path, Period(2026, 10))  # October paid at the widow's half to 10000022, none to 10000023
    higher = _lines(store, "10000022")[("survivor_pension", date(2026, 10, 1))][0]
    assert higher > before["10000022"] and ("survivor_pension", date(2026, 10, 1)) not in _lines(store, "10000023")
    cancel = tmp_path / "cancel.csv"
    cancel.write_text("event_id,kind,event_date,person_id,corrects\nD23-X,cancellation,2026-11-02,10000023,D23\n")
    ok(himaya("events", "import", cancel))
    assert "applied 1" in ok(himaya("events", "process"))
    shares = _shares(store)
    assert ("10000023", before["10000023"], date(2026, 7, 1), None) in shares  # her row open again, from July
    assert ("10000022", before["10000022"], date(2026, 7, 1), None) in shares
    assert all(t is not None and t < f for c, _, f, t in shares if f == date(2026, 10, 1))  # never in force
    listed = ok(as_user(store, "nasser", "insurance", "awards", "10000021"))
    assert "widows 10000023 1/4" in listed and "approved" in listed
    owed = _debts(store, "10000022")  # October paid at the half: the difference owed back
    assert owed == {date(2026, 10, 1): (higher - before["10000022"], owed[date(2026, 10, 1)][1])}
    assert "the death it followed was cancelled" in owed[date(2026, 10, 1)][1]
    _calculate(store, Period(2026, 11))
    widow = _lines(store, "10000023")
    assert widow[("survivor_pension", date(2026, 10, 1))] == (before["10000023"], "arrears")  # the month not paid
    assert widow[("survivor_pension", date(2026, 11, 1))] == (before["10000023"], "regular")
    engine = connect(store)
    with engine.connect() as connection:
        restored = connection.execute(
            sa.select(audit_entry.c.after).where(audit_entry.c.action == "insurance.award.restore")
        ).scalar_one()
    engine.dispose()
    assert '"event"' in str(restored) and "10000023" in str(restored)
    frame = pl.DataFrame(shares, schema=["civil", "amount", "from", "to"], orient="row")
    assert frame.filter(pl.col("to").is_null()).height == 5  # the five survivors' rows in force, once each
