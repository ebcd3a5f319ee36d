"""`himaya simulate` on a dataset (a folder of Parquet files), in one process and on a Dask cluster of
two worker processes: the same figures, to the last bit, as the same people in one file, on Oman
and on Iraq; and the bad inputs (issue 18)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # worker processes on both cores

runner = CliRunner()
CASES = {  # pack: (synth options, period, reform)
    "oman": (("--persons", "3000", "--seed", "18"), "2027-01", REPO / "examples/reforms/child-15.yaml"),
    "iraq": (
        ("--pack", "iraq", "--persons", "3000", "--seed", "3", "--as-of", "2026-01-01"),
        "2026-01",
        REPO / "examples/reforms/iraq-life-cycle.yaml",
    ),
}


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask cluster of two worker processes, as `dask scheduler` and two `dask worker` would be."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module", params=list(CASES))
def country(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A synthetic country of 3,000 persons, one Parquet file."""
    pack = str(request.param)
    path = tmp_path_factory.mktemp(pack) / "people.parquet"
    result = himaya("synth", *CASES[pack][0], "--output", path)
    assert result.exit_code == 0, result.stderr
    return pack, path


def simulate(pack: str, population: Path, *more: str | Path) -> Result:
    _, period, reform = CASES[pack]
    return himaya("simulate", "--pack", pack, "--population", population, "--period", period, "--reform", reform, *more)


@pytest.fixture(scope="module")
def single(country: tuple[str, Path]) -> dict[str, Any]:
    """The simulation of the single file, in this process: the reference."""
    result = simulate(*country, "--json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["persons"] == 3000 and len(document["deciles"]) == 10
    return document


def dataset(people: Path, folder: Path, *how: str) -> Path:
    result = himaya("partition", people, "--output", folder, *how)
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.mark.parametrize("how", [("--parts", "2"), ("--parts", "4"), ("--by", "governorate")])
def test_a_dataset_on_two_workers_gives_the_single_files_figures(
    country: tuple[str, Path], single: dict[str, Any], scheduler: str, tmp_path: Path, how: tuple[str, ...]
) -> None:
    pack, people = country
    source = dataset(people, tmp_path / "people", *how)
    files = len(list(source.rglob("*.parquet")))
    assert files >= 2
    result = simulate(pack, source, "--scheduler", scheduler, "--json")
    assert result.exit_code == 0, result.stderr
    assert f"simulated 3,000 persons from {files} files, on the scheduler at {scheduler}" in result.stderr
    assert json.loads(result.stdout) == single  # every table, every float to the last bit
    here = simulate(pack, source, "--json")  # file after file in this process
    assert here.exit_code == 0, here.stderr
    assert "on this process" in here.stderr and here.stdout == result.stdout


def test_the_files_written_are_the_single_files(country: tuple[str, Path], tmp_path: Path) -> None:
    pack, people = country
    source = dataset(people, tmp_path / "people", "--parts", "4")
    one, four = tmp_path / "one", tmp_path / "four"
    assert simulate(pack, people, "--output", one).exit_code == 0
    result = simulate(pack, source, "--workers", "2", "--output", four)  # a local cluster the command starts
    assert result.exit_code == 0, result.stderr
    assert "on a local cluster of 2 workers" in result.stderr
    written = sorted(p.name for p in one.iterdir())
    assert written == sorted(p.name for p in four.iterdir()) and "simulation-deciles.csv" in written
    for name in written:
        if name.endswith((".csv", ".json")):
            assert (one / name).read_bytes() == (four / name).read_bytes(), name


def test_a_family_split_across_files_is_refused_with_nothing_written(
    country: tuple[str, Path], scheduler: str, tmp_path: Path
) -> None:
    pack, people = country
    source = dataset(people, tmp_path / "people", "--parts", "4")
    first, second = sorted(source.rglob("*.parquet"))[:2]
    rows = pl.read_parquet(first)
    family_id = rows.filter(pl.col("relationship") != "head")["family_id"][0]
    moved = rows.filter((pl.col("family_id") == family_id) & (pl.col("relationship") != "head"))
    rows.filter(~pl.col("person_id").is_in(moved["person_id"].implode())).write_parquet(first)
    pl.concat([pl.read_parquet(second), moved], how="vertical_relaxed").write_parquet(second)
    named = f"family {family_id} in {first.relative_to(source)}, {second.relative_to(source)}"
    for where in ((), ("--scheduler", scheduler), ("--workers", "2")):
        result = simulate(pack, source, *where, "--output", tmp_path / "out")
        assert result.exit_code == 2 and named in result.stderr, (where, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people"]


def test_bad_inputs_are_refused_before_any_work(country: tuple[str, Path], scheduler: str, tmp_path: Path) -> None:
    pack, people = country
    empty = tmp_path / "empty"
    empty.mkdir()
    result = simulate(pack, empty, "--scheduler", scheduler, "--output", tmp_path / "out")
    assert result.exit_code == 2 and "is a folder, not a file, and holds no Parquet file" in result.stderr
    result = simulate(pack, tmp_path / "nowhere", "--workers", "2")
    assert result.exit_code == 2 and "nowhere: no such folder" in result.stderr
    source = dataset(people, tmp_path / "people", "--parts", "2")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nchanges:\n  no.such.parameter: {2026-01-01: 1}\n", encoding="utf-8")
    _, period, _ = CASES[pack]
    result = himaya("simulate", "--pack", pack, "--population", source, "--period", period, "--reform", bad,
                    "--scheduler", scheduler, "--output", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2 and "unknown parameter 'no.such.parameter'" in result.stderr, result.stderr
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    result = himaya("simulate", "--pack", pack, "--population", source, "--period", period, "--reform", bad)
    assert result.exit_code == 2 and "bad.yaml" in result.stderr and "Traceback" not in result.stderr
    for one in (("--population", people), ("--registry",)):
        reform = CASES[pack][2]
        result = himaya("simulate", "--pack", pack, *one, "--period", period, "--reform", reform, "--workers", "2")
        assert result.exit_code == 2 and "not one table or the registry: make one with" in result.stderr
    result = simulate(pack, source, "--workers", "2", "--scheduler", "tcp://x:1")
    assert result.exit_code == 2 and "not both" in result.stderr
    other = "iraq" if pack == "oman" else "oman"
    result = himaya("simulate", "--pack", other, "--population", source, "--period", CASES[other][1],
                    "--reform", CASES[other][2])  # fmt: skip
    assert result.exit_code == 2 and f"a table of the {pack} pack, not of the {other} pack" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "empty", "people"]
