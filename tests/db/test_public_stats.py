"""The public statistics on the synthetic registry, on SQLite and PostgreSQL: the figures are
those of the enrollments and the lines sent to the banks, no count under 10 is published, and
the attacker of `tests/analysis/attack.py` recovers no suppressed cell of the real tables (and
does, with the secondary suppression switched off)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.adapters.iso20022 import write_pain001
from himaya.analysis.disclosure import extended, suppress
from himaya.analysis.public import ALL, Rules
from himaya.bootstrap import payroll as store
from himaya.core.errors import InvalidInputError
from himaya.core.periods import Period
from himaya.db import public_stats
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.db.tables import enrollment, payment_line, payroll_run, person
from himaya.payroll.bank import Payer
from himaya.policy.packs import load_pack
from tests.analysis.attack import determined, published, recovered
from tests.db.conftest import POSTGRES, _postgres_available, postgres_schema

JANUARY, FEBRUARY = Period(2026, 1), Period(2026, 2)
PAYER = Payer("Social Protection Fund", "OM810180000001299123456", "BMUSOMRXXXX")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, synthetic: pl.DataFrame
) -> Iterator[Engine]:
    """The 1,000 synthetic persons of the store tests enrolled in January and February, January's
    run exported (its lines sent to the banks)."""
    tmp = tmp_path_factory.mktemp("public")
    with ExitStack() as stack:
        if request.param == "postgresql":
            problem = _postgres_available()
            if problem:
                if os.environ.get("CI") == "true":
                    pytest.fail(f"CI must test on PostgreSQL, but {POSTGRES} does not answer: {problem}")
                pytest.skip(f"no PostgreSQL server: {problem}")
            url = stack.enter_context(postgres_schema("himaya_public"))
        else:
            url = f"sqlite:///{tmp / 'public.db'}"
        engine = connect(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        pack = load_pack()
        import_people(engine, synthetic, as_of=date(2025, 12, 1), actor="registrar", source={"file": "people.parquet"})
        store.sync_enrollments(engine, pack, JANUARY, actor="officer", today=JANUARY.start)
        store.calculate(engine, pack, JANUARY, actor="maker")
        store.transition(engine, JANUARY, "submit", actor="maker")
        store.transition(engine, JANUARY, "approve", actor="checker")
        execution = date(2026, 1, 25)
        store.export(
            engine, JANUARY, tmp / "files", actor="finance", payer=PAYER, execution=execution, writer=write_pain001
        )
        store.sync_enrollments(engine, pack, FEBRUARY, actor="officer", today=FEBRUARY.start)
        yield engine


def _statistics(engine: Engine, **given: object) -> pl.DataFrame:
    found = bootstrap.public_statistics(first="2026-01", last="2026-02", engine=engine, **given)  # type: ignore[arg-type]
    return found.table


def test_no_count_under_ten_is_published(registry: Engine) -> None:
    table = _statistics(registry)
    shown = table.filter(~pl.col("suppressed"))
    assert shown.filter(pl.col("beneficiaries").is_between(1, 9)).is_empty()
    assert table.filter(
        pl.col("suppressed"), pl.col("beneficiaries").is_not_null() | pl.col("spending_omr").is_not_null()
    ).is_empty()
    assert table.filter(pl.col("suppressed")).height >= 4  # 1,000 persons in 11 governorates: small cells
    assert shown.filter(pl.col("beneficiaries") >= 10).height > 0


def test_the_figures_are_the_registrys(registry: Engine) -> None:
    """Every published count against a count made here from the rows themselves."""
    with registry.connect() as connection:
        rows = connection.execute(
            sa.select(
                enrollment.c.person_id,
                enrollment.c.programme,
                enrollment.c.start_month,
                enrollment.c.end_month,
                person.c.governorate,
            ).join(person, person.c.id == enrollment.c.person_id)
        ).all()
        sent = connection.execute(
            sa.select(sa.func.sum(payment_line.c.amount - payment_line.c.deduction))
            .join(payroll_run, payroll_run.c.id == payment_line.c.run_id)
            .where(payroll_run.c.period == JANUARY.start, payment_line.c.status.in_(("exported", "paid")))
        ).scalar()
    table = _statistics(registry)
    for month in (JANUARY, FEBRUARY):
        in_force = {
            (p, g or "unknown", k) for k, p, s, e, g in rows if s <= month.start and (e is None or e >= month.start)
        }
        expected: dict[tuple[str, str], int] = {}
        for p, g, _ in in_force:
            expected[(p, g)] = expected.get((p, g), 0) + 1
        month_rows = table.filter(pl.col("month") == str(month), ~pl.col("suppressed"))
        for r in month_rows.filter(pl.col("programme") != ALL, pl.col("governorate") != ALL).iter_rows(named=True):
            assert r["beneficiaries"] == expected.get((r["programme"], r["governorate"]), 0), r
        corner = month_rows.filter(pl.col("programme") == ALL, pl.col("governorate") == ALL)
        assert corner["beneficiaries"].to_list() == [sum(expected.values())]
    january = table.filter(pl.col("month") == "2026-01", pl.col("programme") == ALL, pl.col("governorate") == ALL)
    assert sent and abs(january["spending_omr"].item() * 1000 - sent) <= 500_000  # rounded to 1,000 OMR
    february = table.filter(pl.col("month") == "2026-02", pl.col("programme") == ALL, pl.col("governorate") == ALL)
    assert february["spending_omr"].item() == 0  # February's run is not calculated, let alone sent


def _grids(engine: Engine, month: date) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    pack = load_pack()
    with engine.connect() as connection:
        raw = public_stats.figures(connection, [month]).with_columns(pl.col("governorate").fill_null("unknown"))
    programmes = [p.key for p in pack.programmes]
    governorates = [*pack.code_names["governorate"], *(["unknown"] if "unknown" in set(raw["governorate"]) else [])]
    cells = {(r["programme"], r["governorate"]): r for r in raw.iter_rows(named=True)}
    grids = tuple(
        [[(cells.get((p, g)) or {}).get(m, 0) for g in governorates] for p in programmes]
        for m in ("beneficiaries", "payees", "amount")
    )
    return grids  # type: ignore[return-value]


@pytest.mark.parametrize("month", [JANUARY, FEBRUARY], ids=str)
def test_the_attacker_recovers_no_suppressed_cell_of_the_real_tables(registry: Engine, month: Period) -> None:
    counts, _, _ = _grids(registry, month.start)
    table = _statistics(registry).filter(pl.col("month") == str(month))
    full = extended(counts)
    # The table as the public sees it, laid out as the grid (programmes then "all", governorates
    # then "all"): its published counts must be the true ones, None where suppressed.
    rows = table["programme"].unique(maintain_order=True).to_list()
    columns = table["governorate"].unique(maintain_order=True).to_list()
    assert (len(rows), len(columns)) == (len(full), len(full[0]))
    value = {(r["programme"], r["governorate"]): r["beneficiaries"] for r in table.iter_rows(named=True)}
    grid = [[value[(p, g)] for g in columns] for p in rows]
    assert all(grid[i][j] in (None, full[i][j]) for i in range(len(full)) for j in range(len(full[0])))
    assert sum(v is None for row in grid for v in row) >= 4
    assert not determined(grid)
    assert not recovered(grid, full)
    only_primary = suppress(counts, threshold=10, sensitive=[], secondary=False)
    bare = published(full, only_primary)
    assert determined(bare) and recovered(bare, full)  # without the secondary suppression it falls


def test_a_filter_never_changes_what_is_hidden(registry: Engine) -> None:
    everything = _statistics(registry)
    child = _statistics(registry, programmes=["child"], governorates=["Muscat", "all"])
    expected = everything.filter(pl.col("programme") == "child", pl.col("governorate").is_in(["Muscat", "all"]))
    assert child.equals(expected)


def _end_one_enrollment(engine: Engine) -> None:
    """One enrollment ended with January, as the sync ends one."""
    with engine.begin() as connection:
        ended = connection.execute(
            sa.select(sa.func.min(enrollment.c.id)).where(enrollment.c.status == "active")
        ).scalar_one()
        connection.execute(
            sa.update(enrollment)
            .where(enrollment.c.id == ended)
            .values(status="ended", end_month=JANUARY.start, version=enrollment.c.version + 1)
        )


CORNER = (pl.col("month") == "2026-02") & (pl.col("programme") == ALL) & (pl.col("governorate") == ALL)


def _february(engine: Engine, *, fresh: bool = True) -> int:
    table = bootstrap.public_statistics(first="2026-01", last="2026-02", engine=engine, fresh=fresh).table
    return int(table.filter(CORNER)["beneficiaries"].item())


def test_tables_are_kept_and_made_again_when_they_expire(registry: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _february(registry)
    _end_one_enrollment(registry)  # the data's version does not see an enrollment ended alone
    assert _february(registry) == first  # kept
    monkeypatch.setattr(public_stats, "KEPT_SECONDS", 0.0)
    assert _february(registry) == first - 1  # expired: made again


def test_a_page_gets_the_kept_tables_while_the_new_ones_are_made(registry: Engine) -> None:
    before = _february(registry)
    with registry.begin() as connection:  # a new enrollment: a new version of the data
        someone = (
            connection.execute(sa.select(enrollment).where(enrollment.c.status == "active").limit(1)).mappings().one()
        )
        connection.execute(
            sa.insert(enrollment).values(
                {
                    **{k: v for k, v in someone.items() if k != "id"},
                    "programme": "disability",
                    "start_month": FEBRUARY.start,
                }
            )
        )
    assert _february(registry, fresh=False) == before  # at once: the tables kept
    waited = 0.0
    while _february(registry, fresh=False) == before and waited < 10:  # made again in the background
        time.sleep(0.1)
        waited += 0.1
    assert _february(registry, fresh=False) == before + 1 == _february(registry)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"first": "2026-13"}, "from: period '2026-13' is not a month like 2026-01"),
        ({"first": "2026-03", "last": "2026-01"}, "from 2026-03 is after to 2026-01"),
        ({"first": "2023-12", "last": "2024-02"}, "before 2024-01"),
        ({"first": "2024-01", "last": "2029-01"}, "after the current month"),
        ({"programmes": ["pension"]}, "programme 'pension' is not one of: all, child"),
        ({"governorates": ["Nizwa"]}, "governorate 'Nizwa' is not one of: all, Muscat"),
    ],
)
def test_bad_parameters_are_refused_clearly(registry: Engine, given: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        bootstrap.public_statistics(engine=registry, **given)  # type: ignore[arg-type]


def test_rules_are_parameters(registry: Engine) -> None:
    coarse = bootstrap.public_statistics(
        first="2026-01", last="2026-01", engine=registry, rules=Rules(threshold=50, rounding_omr=10_000)
    ).table
    assert coarse.filter(~pl.col("suppressed"), pl.col("beneficiaries").is_between(1, 49)).is_empty()
    assert (coarse["spending_omr"].drop_nulls() % 10_000 == 0).all()


def test_requests_that_find_the_tables_missing_at_once_sum_them_once(
    registry: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight requests at once on a server that has no tables yet: one sums them, the others wait and
    take them (bench/web.py found each request summing them itself, seconds of every core)."""
    with public_stats._LOCK:
        public_stats._KEPT.clear()
    sums: list[int] = []
    real = public_stats.figures

    def counted(*args: object, **kwargs: object) -> pl.DataFrame:
        sums.append(1)
        time.sleep(0.2)  # long enough for the others to arrive while it sums
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(public_stats, "figures", counted)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _february(registry, fresh=False), range(8)))
    assert len(set(answers)) == 1
    assert len(sums) == 1
