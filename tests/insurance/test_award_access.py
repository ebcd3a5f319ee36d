"""The awards' commands from the attacker's side, on SQLite and PostgreSQL: nobody logged in, a user
without the awards' permissions (a registrar; an officer approving), an officer of another branch
(its people answered as nobody, its awards not listed), the preparer approving (maker-checker, with
real users of the store), and two approvals at once (one approves, the other is refused: the check
and the write in one transaction, the versioned update's row count checked). Nothing is written by
a refused command."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from himaya.bootstrap import insurance as store
from himaya.core.access import Principal, Scope
from himaya.core.errors import StaleRecordError
from himaya.db.award_tables import insurance_award
from himaya.db.engine import connect
from himaya.db.stores.awards import SqlAwardStore
from himaya.db.tables import audit_entry
from tests.insurance.award_users import as_user
from tests.insurance.test_awards import SHORT, _survivors, _with_accounts, ok, refused
from tests.insurance.test_commands import EXAMPLES, PEOPLE, himaya


@pytest.fixture
def branches(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """As `test_awards.store`, with places: Mr 10000021's family (he died on 15 June 2026) lives in
    Nizwa, everyone else in Sohar."""
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    people = _with_accounts(pl.read_csv(PEOPLE, infer_schema=False)).with_columns(
        pl.when(pl.col("family_id") == "F003").then(pl.lit("Nizwa")).otherwise(pl.lit("Sohar")).alias("wilayat")
    )
    first, after = tmp_path / "people.csv", tmp_path / "after-death.csv"
    people.write_csv(first)
    people.with_columns(
        pl.when(pl.col("person_id") == "10000021").then(pl.lit("2026-06-15")).otherwise("death_date")
        .alias("death_date")
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


def _awards(url: str) -> int:
    engine = connect(url)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(insurance_award)).scalar_one()
    engine.dispose()
    return int(count)


APPROVE_FIRST = ("insurance", "award-approve", "1", "--version", "1", "--reform", SHORT)
DISABILITY = ("insurance", "award", "10000081", "--benefit", "disability", "--on", "2026-04-01", "--reform", SHORT)


def test_a_user_without_the_permission_is_refused(branches: str) -> None:
    nobody = refused(himaya(*DISABILITY), 5)  # no login: `--actor` or HIMAYA_ACTOR is no proof of who acts
    assert "run `himaya login USER` first" in nobody
    registrar = refused(as_user(branches, "khalid", *DISABILITY), 5)
    assert "khalid may not do this: it needs insurance.award" in registrar
    assert "needs insurance.read" in refused(as_user(branches, "khalid", "insurance", "awards"), 5)
    other = refused(as_user(branches, "nasser", *DISABILITY, "--actor", "maryam"), 2)
    assert "you are logged in as 'nasser', not 'maryam'" in other
    assert _awards(branches) == 0  # nothing written
    ok(as_user(branches, "nasser", *DISABILITY))
    approving = refused(as_user(branches, "nasser", *APPROVE_FIRST), 5)
    assert "nasser may not do this: it needs insurance.award.approve" in approving
    ending = ("insurance", "award-end", "1", "--on", "2026-06-30", "--reason", "x", "--version", "1")
    assert "needs insurance.award" in refused(as_user(branches, "maryam", *ending), 5)  # the checker does not end
    assert "v1" in ok(as_user(branches, "nasser", "insurance", "awards", "10000081"))  # still prepared, version 1


def test_another_branchs_people_are_answered_as_nobody(branches: str) -> None:
    ok(as_user(branches, "nasser", *DISABILITY))  # Sohar
    survivor = ("insurance", "award", "10000021", "--benefit", "survivor", *_survivors()[:2], "--reform", SHORT)
    assert "award 2 prepared: survivor of 10000021" in ok(as_user(branches, "hamad", *survivor))  # Nizwa: his own
    unseen = refused(as_user(branches, "hamad", *DISABILITY), 3)
    assert "no person with civil number '10000081' in your branches" in unseen
    unknown = refused(as_user(branches, "hamad", "insurance", "award", "99999999", "--benefit", "old_age"), 3)
    assert unseen.replace("10000081", "99999999") == unknown  # the same answer as for nobody
    ending = ("insurance", "award-end", "1", "--on", "2026-06-30", "--reason", "x", "--version", "1")
    assert "no award 1 in your branches" in refused(as_user(branches, "hamad", *ending), 3)
    listed = ok(as_user(branches, "hamad", "insurance", "awards"))
    assert "10000021" in listed and "10000081" not in listed
    assert "in your branches" in refused(as_user(branches, "hamad", "insurance", "awards", "10000081"), 3)
    # his survivors are named in his branch only: another branch's person is not a survivor he may name
    elsewhere = refused(as_user(branches, "hamad", "insurance", "award", "10000021", "--benefit", "survivor",
                                "--child", "10000081", "--reform", SHORT), 3)  # fmt: skip
    assert "no person with civil number '10000081' in your branches" in elsewhere
    assert _awards(branches) == 2


def test_the_preparer_never_approves(branches: str) -> None:
    ok(as_user(branches, "rashid", *DISABILITY))
    own = refused(as_user(branches, "rashid", *APPROVE_FIRST), 5)
    assert "rashid prepared it and cannot approve it" in own
    assert "approved by maryam" in ok(as_user(branches, "maryam", *APPROVE_FIRST))


def _supervisor(name: str) -> Principal:
    return Principal(name, frozenset({"supervisor"}), frozenset({"insurance.award.approve"}), (Scope("all"),))


def test_two_approvals_at_once_approve_once(branches: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(as_user(branches, "nasser", *DISABILITY))
    engine = connect(branches)
    if engine.dialect.name == "postgresql":  # both read version 1 before either writes (SQLite: one writer)
        both_read = threading.Barrier(2, timeout=10)
        move = SqlAwardStore.move

        def wait_then_move(self: SqlAwardStore, award_id: int, version: int, values: dict[str, object]) -> bool:
            both_read.wait()
            return move(self, award_id, version, values)

        monkeypatch.setattr(SqlAwardStore, "move", wait_then_move)
    outcomes: dict[str, object] = {}

    def approve(name: str) -> None:
        try:
            outcomes[name] = store.approve_award(
                engine, 1, version=1, principal=_supervisor(name), reform=SHORT
            ).version
        except StaleRecordError as error:
            outcomes[name] = error

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("maryam", "aisha")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [n for n, o in outcomes.items() if o == 2]
    lost = [o for o in outcomes.values() if isinstance(o, StaleRecordError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    with engine.connect() as connection:
        row = connection.execute(sa.select(insurance_award.c.approved_by, insurance_award.c.version)).one()
        entries = connection.execute(
            sa.select(audit_entry.c.actor).where(audit_entry.c.action == "insurance.award.approve")
        ).all()
    engine.dispose()
    assert tuple(row) == (won[0], 2) and [e.actor for e in entries] == won  # one approval, its one entry
