"""`himaya insurance award|award-approve|award-end|awards` on SQLite and PostgreSQL: a computed benefit
stored by one officer, approved by another, paid by the monthly payroll (never twice) and read by the
life-cycle rules as the survivor pension it is (a widow is topped up to 80 OMR only). The bad paths:
a person not entitled (the rule named), the preparer approving, a stale version, an overlapping
award; each refused with nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import Result

from himaya.adapters.iso20022 import write_pain001
from himaya.bootstrap import payroll
from himaya.core.periods import Period
from himaya.db.engine import connect
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import audit_entry, payment_line
from himaya.payroll.bank import Payer
from himaya.policy.engine import entitlements
from himaya.policy.packs import load_pack
from himaya.synth.identity import iban_check_digits
from tests.insurance.award_users import as_user
from tests.insurance.test_commands import EXAMPLES, PEOPLE, himaya

SHORT = EXAMPLES / "reform-short-careers.yaml"
JULY, AUGUST = Period(2026, 7), Period(2026, 8)
PAYER = Payer("Social Protection Fund", "OM810180000001299123456", "BMUSOMRXXXX")
WIDOWS, CHILDREN = ("10000022", "10000023"), ("10000024", "10000025", "10000026")


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr or result.stdout
    return " ".join(result.stdout.split())


def refused(result: Result, status: int) -> str:
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
    return " ".join(result.stderr.split())


def _with_accounts(people: pl.DataFrame) -> pl.DataFrame:
    """Everyone with a valid Omani IBAN (bank 018), so that their lines go to the bank."""
    account = people["person_id"].cast(pl.Int64).to_numpy()
    check = iban_check_digits(np.full(len(account), 18), account)
    iban = [f"OM{c:02d}018{a:016d}" for c, a in zip(check, account, strict=True)]
    return people.with_columns(pl.Series("iban", iban), pl.lit("018").alias("bank_code"))


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The example people with accounts; three months declared; then Mr 10000021 dies on 15 June 2026,
    leaving two widows and three children (recorded as such from that day)."""
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    people = _with_accounts(pl.read_csv(PEOPLE, infer_schema=False))
    first, after = tmp_path / "people.csv", tmp_path / "after-death.csv"
    people.write_csv(first)
    people.with_columns(
        pl.when(pl.col("person_id") == "10000021").then(pl.lit("2026-06-15")).otherwise("death_date")
        .alias("death_date"),
        pl.when(pl.col("person_id").is_in(WIDOWS)).then(pl.lit("widowed")).otherwise("marital_status")
        .alias("marital_status"),
        pl.when(pl.col("person_id").is_in(CHILDREN)).then(pl.lit("true")).otherwise("father_deceased")
        .alias("father_deceased"),
    ).write_csv(after)  # fmt: skip
    for args in (
        ("db", "upgrade"),
        ("registry", "import", first, "--as-of", "2025-12-01"),
        ("insurance", "employers", EXAMPLES / "employers.csv"),
        ("insurance", "declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01", "--employer", "1234567"),
        ("insurance", "declare", EXAMPLES / "batch-2026-02.csv", "--month", "2026-02"),
        ("insurance", "declare", EXAMPLES / "nizwa-dates-2026-03.csv", "--month", "2026-03", "--employer", "1234567"),
        ("registry", "import", after, "--as-of", "2026-06-15"),
    ):
        ok(himaya(*args))
    return database_url


def _survivors() -> list[str]:
    return [a for w in WIDOWS for a in ("--widow", w)] + [a for c in CHILDREN for a in ("--child", c)]


def _shares(awarded: str) -> dict[str, int]:
    """civil number: baisa a month, from `himaya insurance awards`' output."""
    words = awarded.split()
    return {words[i + 1]: int(words[i + 3].replace(",", "").replace(".", "")) for i, w in enumerate(words)
            if w in ("widows", "children") and i + 3 < len(words) and words[i + 1].isdigit()}  # fmt: skip


def test_a_survivor_pension_awarded_approved_and_counted(store: str) -> None:
    officer = (store, "rashid")  # holds the supervisor's approval too: maker-checker still refuses him
    award = ("insurance", "award", "10000021", "--benefit", "survivor", *_survivors())
    not_entitled = refused(as_user(*officer, *award), 2)
    assert "no survivor pension on 2026-06-15" in not_entitled
    assert "rule: insurance.invalidity.minimum_months" in not_entitled
    listed = ok(as_user(*officer, "insurance", "awards"))
    assert "no award yet of the people of your branches" in listed  # nothing half-written
    made = ok(as_user(*officer, *award, "--reform", SHORT))
    assert "award 1 prepared: survivor of 10000021" in made and "from 2026-07-01" in made
    listed = ok(as_user(*officer, "insurance", "awards", "10000022"))
    shares = _shares(listed)
    assert set(shares) == {*WIDOWS, *CHILDREN} and shares["10000022"] == shares["10000023"]
    # the widows share 1/2 of the pension, the children the other half
    assert "1/4" in listed and "1/6" in listed
    own = refused(as_user(*officer, "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT), 5)
    assert "rashid prepared it and cannot approve it" in own and "maker-checker" in own
    stale = refused(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "2", "--reform", SHORT), 4)
    assert "award 1 is at version 1, not 2" in stale
    assert "approved by maryam; version 2" in ok(
        as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT)
    )
    again = refused(as_user(*officer, "insurance", "award", "10000021", "--benefit", "survivor", "--widow", "10000022",
                            "--reform", SHORT), 4)  # fmt: skip
    assert "already has a survivor pension award 1 (approved, from 2026-07-01 to open)" in again
    pack = load_pack()
    engine = connect(store)
    with engine.connect() as connection:
        counted = read_people(connection, people_query(JULY.end, awards=True))
        recorded = read_people(connection, people_query(JULY.end))
    widow = counted.filter(pl.col("person_id") == "10000022")
    assert widow["survivor_pension"].to_list() == [shares["10000022"]]
    assert recorded.filter(pl.col("person_id") == "10000022")["survivor_pension"].to_list() == [0]
    paid = entitlements(counted.select(pack.schema.names), pack, pack.parameters, JULY)
    topped = paid.filter(pl.col("person_id") == "10000022", pl.col("programme") == "widow")["amount"].to_list()
    assert topped == [f"{(80_000 - shares['10000022']) / 1000:.3f}"]  # topped up to 80.000 only
    explained = ok(himaya("explain", "--period", "2026-07", "--registry", "--person", "10000022"))
    assert f"own and survivor pensions: {shares['10000022'] / 1000:.3f} OMR" in explained
    assert (
        f"10000022: the survivor pension counted ({shares['10000022'] / 1000:.3f} OMR) is paid by Himaya, "
        "insurance award 1" in explained
    )
    engine.dispose()


def _lines(url: str) -> pl.DataFrame:
    engine = connect(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(payment_line)).mappings().all()
    engine.dispose()
    return pl.DataFrame([dict(r) for r in rows], infer_schema_length=None)


def test_approved_awards_are_paid_by_the_payroll_once(store: str, tmp_path: Path) -> None:
    ok(as_user(store, "nasser", "insurance", "award", "10000021", "--benefit", "survivor", *_survivors(),
               "--reform", SHORT))  # fmt: skip
    ok(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
    ok(as_user(store, "nasser", "insurance", "award", "10000081", "--benefit", "disability", "--on", "2026-04-01",
               "--reform", SHORT))  # fmt: skip
    # a prepared award is not paid: award 2 stays unapproved until August
    pack, engine = load_pack(), connect(store)
    payroll.sync_enrollments(engine, pack, JULY, actor="officer", today=JULY.start)
    first = payroll.calculate(engine, pack, JULY, actor="maker")
    assert payroll.calculate(engine, pack, JULY, actor="maker") == first  # recalculated: the same run
    july = _lines(store).filter(pl.col("programme") == "survivor_pension")
    assert july.height == 5 and set(july["kind"]) == {"regular"} and set(july["status"]) == {"pending"}
    assert sorted(july["end_to_end_id"].to_list())[0] == "HMYPS2607-10000022"
    assert _lines(store).filter(pl.col("programme") == "pension_disability").height == 0
    for action, actor in (("submit", "maker"), ("approve", "checker")):
        payroll.transition(engine, JULY, action, actor=actor)
    files = payroll.export(engine, JULY, tmp_path, actor="finance", payer=PAYER, execution=date(2026, 7, 25),
                           writer=write_pain001)  # fmt: skip
    sent = "".join(f.read_text(encoding="utf-8") for f in files)
    assert "<EndToEndId>HMYPS2607-10000022</EndToEndId>" in sent and '<InstdAmt Ccy="OMR">' in sent
    ok(as_user(store, "maryam", "insurance", "award-approve", "2", "--version", "1", "--reform", SHORT))
    august = payroll.calculate(engine, pack, AUGUST, actor="maker")
    lines = _lines(store)
    assert lines.group_by("person_id", "programme", "month").len()["len"].max() == 1  # nobody paid twice
    disability = lines.filter(pl.col("programme") == "pension_disability").sort("month")
    # from April (its start) but no earlier than go-live: July owed as arrears, August regular
    assert disability["kind"].to_list() == ["arrears", "regular"] and august.arrears == 1
    assert lines.filter(pl.col("programme") == "survivor_pension").height == 10
    engine.dispose()


def test_a_death_ends_the_awards_in_the_same_transaction(store: str, tmp_path: Path) -> None:
    ok(as_user(store, "nasser", "insurance", "award", "10000081", "--benefit", "disability", "--on", "2026-04-01",
               "--reform", SHORT))  # fmt: skip
    ok(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
    events = tmp_path / "death.csv"
    events.write_text("event_id,kind,event_date,person_id\nD81,death,2026-08-10,10000081\n")
    ok(himaya("events", "import", events))
    ok(himaya("events", "process"))
    ended = ok(as_user(store, "nasser", "insurance", "awards", "10000081"))
    assert "2026-04-01 to 2026-08-31 ended" in ended and "ended: death on 2026-08-10" in ended
    engine = connect(store)
    with engine.connect() as connection:
        entry = connection.execute(
            sa.select(audit_entry.c.action, audit_entry.c.after)
            .where(audit_entry.c.subject == "award:1")
            .order_by(audit_entry.c.id)
        ).all()
    engine.dispose()
    assert [e.action for e in entry] == ["insurance.award.prepare", "insurance.award.approve", "insurance.award.end"]
    assert '"event"' in str(entry[-1].after)
    late = refused(as_user(store, "nasser", "insurance", "award-end", "1", "--on", "2026-09-30", "--reason", "x",
                           "--version", "3"), 4)  # fmt: skip
    assert "ended on 2026-08-31 already" in late


def test_job_security_claims_are_counted_and_maternity_paid_once(store: str) -> None:
    def himaya(*args: str | Path) -> Result:
        return as_user(store, "nasser", *args)

    first = ok(himaya("insurance", "award", "10000051", "--benefit", "job_security", "--on", "2026-03-10",
                      "--reform", SHORT))  # fmt: skip
    assert "from 2026-04-01 to 2026-09-30" in first  # at most 6 months a claim
    overlapping = refused(himaya("insurance", "award", "10000051", "--benefit", "job_security", "--on", "2026-05-01",
                                 "--reform", SHORT), 4)  # fmt: skip
    assert "already has a job security benefit award 1" in overlapping
    ok(himaya("insurance", "award", "10000051", "--benefit", "job_security", "--on", "2026-10-05", "--reform", SHORT))
    engine = connect(store)
    with engine.connect() as connection:
        claims = connection.execute(sa.text("SELECT id, claim FROM insurance_award ORDER BY id")).all()
    assert [tuple(c) for c in claims] == [(1, 1), (2, 2)]  # the second claim counted from the stored ones
    maternity = ok(himaya("insurance", "award", "10000051", "--benefit", "maternity", "--on", "2026-04-15",
                          "--reform", SHORT))  # fmt: skip
    assert "8,061.284 OMR the whole leave, from 2026-04-15 to 2026-07-21" in maternity  # January as first declared
    ok(as_user(store, "maryam", "insurance", "award-approve", "3", "--version", "1", "--reform", SHORT))
    pack = load_pack()
    payroll.calculate(engine, pack, JULY, actor="maker")
    paid = _lines(store).filter(pl.col("programme") == "maternity_allowance")
    assert paid.select("month", "amount", "kind").rows() == [(date(2026, 4, 1), 8_061_284, "arrears")]  # once
    man = refused(himaya("insurance", "award", "10000021", "--benefit", "maternity", "--on", "2026-04-15"), 2)
    assert "not recorded as a woman" in man
    engine.dispose()


def test_an_award_under_a_reform_is_approved_only_naming_it(store: str, tmp_path: Path) -> None:
    """A reform can set any value (a minimum pension of 99,999 OMR): the approver must name the reform
    the award was computed under, or it stays prepared (outside attack, MEDIUM)."""
    ok(as_user(store, "nasser", "insurance", "award", "10000081", "--benefit", "disability", "--on", "2026-04-01",
               "--reform", SHORT))  # fmt: skip
    unnamed = refused(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1"), 2)
    assert "computed under the reform reform-short-careers.yaml, not the law in force" in unnamed
    other = tmp_path / "reform-other.yaml"
    other.write_bytes(SHORT.read_bytes())
    wrong = refused(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", other), 2)
    assert "reform-short-careers.yaml" in wrong
    assert "prepared" in ok(as_user(store, "maryam", "insurance", "awards"))  # nothing approved
    ok(as_user(store, "maryam", "insurance", "award-approve", "1", "--version", "1", "--reform", SHORT))
