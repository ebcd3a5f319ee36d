"""`himaya entitlements` on a dataset (a folder of Parquet files), in one process and on a Dask
cluster of two worker processes: the same rows as the single-process path, and the bad inputs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner, Result

from himaya.adapters import cluster as cluster_module
from himaya.adapters.datasets import MARKER
from himaya.cli.main import app

pytestmark = pytest.mark.slow  # worker processes on both cores

runner = CliRunner()
SORT = ["family_id", "person_id", "programme"]


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask cluster of two worker processes, as `dask scheduler` and two `dask worker` would be."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic Oman of 3,000 persons, one Parquet file."""
    path = tmp_path_factory.mktemp("people") / "people.parquet"
    result = himaya("synth", "--persons", "3000", "--seed", "18", "--output", path)
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def single(people: Path, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The entitlements of the single file, in this process: the reference."""
    path = tmp_path_factory.mktemp("single") / "entitlements.parquet"
    result = himaya("entitlements", people, "--period", "2025-01", "--output", path)
    assert result.exit_code == 0, result.stderr
    frame = pl.read_parquet(path)
    assert frame.height > 500 and frame["family_id"].n_unique() > 100
    return frame


def dataset(people: Path, folder: Path, *how: str) -> Path:
    result = himaya("partition", people, "--output", folder, *how)
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.mark.parametrize("how", [("--by", "family", "--parts", "7"), ("--by", "governorate")])
def test_a_dataset_on_two_workers_gives_the_single_process_rows(
    people: Path, single: pl.DataFrame, scheduler: str, tmp_path: Path, how: tuple[str, ...]
) -> None:
    source = dataset(people, tmp_path / "people", *how)
    files = sorted(source.rglob("*.parquet"))
    assert len(files) >= 7
    out = tmp_path / "entitlements"
    result = himaya("entitlements", source, "--period", "2025-01", "--scheduler", scheduler, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert f"from {len(files)} files, on the scheduler at {scheduler}" in result.stderr
    written = sorted(out.rglob("*.parquet"))
    assert [p.relative_to(out) for p in written] == [p.relative_to(source) for p in files]  # partitioned alike
    for path in written:  # each file sorted as the engine sorts
        part = pl.read_parquet(path)
        assert part.equals(part.sort(SORT))
    assert pl.concat([pl.read_parquet(p) for p in written]).sort(SORT).equals(single)
    about = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert about["rows"] == single.height and about["files"] == len(files) and about["period"] == "2025-01"


def test_to_one_file_on_the_cluster_and_in_one_process(
    people: Path, single: pl.DataFrame, scheduler: str, tmp_path: Path
) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "5")
    on_cluster, here = tmp_path / "cluster.parquet", tmp_path / "here.parquet"
    result = himaya("entitlements", source, "--period", "2025-01", "--scheduler", scheduler, "-o", on_cluster)
    assert result.exit_code == 0, result.stderr
    assert pl.read_parquet(on_cluster).equals(single)  # row for row, in the same order
    result = himaya("entitlements", source, "--period", "2025-01", "-o", here)
    assert result.exit_code == 0, result.stderr
    assert "on this process" in result.stderr
    assert pl.read_parquet(here).equals(single)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cluster.parquet", "here.parquet", "people"]  # no scraps


def test_a_local_cluster_the_command_starts(people: Path, single: pl.DataFrame, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "4")
    target = tmp_path / "out.csv"
    result = himaya("entitlements", source, "--period", "2025-01", "--workers", "2", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert "on a local cluster of 2 workers" in result.stderr
    assert pl.read_csv(target, infer_schema=False).equals(single)


def test_the_scheduler_setting(people: Path, single: pl.DataFrame, scheduler: str, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "3")
    result = runner.invoke(
        app,
        ["entitlements", str(source), "--period", "2025-01", "-o", str(tmp_path / "e.parquet")],
        env={"HIMAYA_DASK_SCHEDULER": scheduler},
    )
    assert result.exit_code == 0, result.stderr
    assert f"on the scheduler at {scheduler}" in result.stderr
    assert pl.read_parquet(tmp_path / "e.parquet").equals(single)


def test_a_missing_folder(tmp_path: Path, scheduler: str) -> None:
    out = tmp_path / "out"
    result = himaya("entitlements", tmp_path / "nowhere", "--period", "2025-01", "--scheduler", scheduler, "-o", out)
    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}: no such folder" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = himaya("entitlements", empty, "--period", "2025-01", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "is a folder, not a file, and holds no Parquet file" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_a_partition_with_a_foreign_column_writes_nothing(people: Path, scheduler: str, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "4")
    odd = sorted(source.rglob("*.parquet"))[2]
    pl.read_parquet(odd).with_columns(salary=pl.lit(1)).write_parquet(odd)
    out = tmp_path / "out"
    result = himaya("entitlements", source, "--period", "2025-01", "--scheduler", scheduler, "-o", out)
    assert result.exit_code == 2
    assert f"{odd}: a partition of {source} with other columns" in result.stderr
    assert "column salary not in the other files" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people"]


def test_a_bad_row_in_one_partition_leaves_the_output_as_it_was(people: Path, scheduler: str, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "4")
    out = tmp_path / "out"
    assert himaya("entitlements", source, "--period", "2025-01", "--scheduler", scheduler, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = sorted(source.rglob("*.parquet"))[1]
    frame = pl.read_parquet(bad)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("X")).otherwise("sex").alias("sex")
    ).write_parquet(bad)
    result = himaya("entitlements", source, "--period", "2025-01", "--scheduler", scheduler, "-o", out)
    assert result.exit_code == 2
    assert f"error: {bad}: 1 problem(s); the table was refused" in result.stderr  # raised on a worker, told here
    assert "row 5, column sex, value 'X'" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "people"]


def test_a_scheduler_that_does_not_answer(people: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 1)
    source = dataset(people, tmp_path / "people", "--parts", "2")
    result = himaya(
        "entitlements", source, "--period", "2025-01", "--scheduler", "tcp://127.0.0.1:9", "-o", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert "the Dask scheduler at tcp://127.0.0.1:9 does not answer" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people"]


def test_refusals(people: Path, tmp_path: Path) -> None:
    result = himaya("entitlements", people, "--period", "2025-01", "--workers", "2")
    assert result.exit_code == 2 and "not one table: make one with `himaya partition`" in result.stderr
    source = dataset(people, tmp_path / "people", "--parts", "2")
    result = himaya("entitlements", source, "--period", "2025-01", "--workers", "2", "--scheduler", "tcp://x:1")
    assert result.exit_code == 2 and "not both" in result.stderr
    result = himaya("entitlements", source, "--period", "2025-01", "-o", tmp_path / "out", "--format", "csv")
    assert result.exit_code == 2 and "a dataset folder is written as Parquet files, not csv" in result.stderr
    result = himaya("entitlements", source, "--period", "2025-01", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2 and "--output FILE or FOLDER is needed on a scheduler" in result.stderr
    result = himaya("entitlements", source, "--period", "2025-01", "--workers", "2", "-o", tmp_path / "no" / "e.csv")
    assert result.exit_code == 2 and f"{tmp_path / 'no'}: no such folder to write e.csv in" in result.stderr
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine", encoding="utf-8")
    result = himaya("entitlements", source, "--period", "2025-01", "-o", theirs)
    assert result.exit_code == 2 and "is not a dataset Himaya wrote" in result.stderr
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
    shutil.rmtree(source)
    assert himaya("partition", people, "-o", source, "--by", "wilaya").exit_code == 2


def test_a_dataset_larger_than_memory_starts_a_local_cluster(
    people: Path, single: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "3")
    monkeypatch.setattr(cluster_module, "BYTES_PER_PERSON", 1 << 40)  # as if 3,000 persons filled the memory
    result = himaya("entitlements", source, "--period", "2025-01", "-o", tmp_path / "e.parquet")
    assert result.exit_code == 0, result.stderr
    assert "on a local cluster of" in result.stderr
    assert pl.read_parquet(tmp_path / "e.parquet").equals(single)


def test_synth_writes_a_dataset_by_governorate(tmp_path: Path, people: Path) -> None:
    folder = tmp_path / "people"
    result = himaya("synth", "--persons", "3000", "--seed", "18", "--output", folder, "--partition-by", "governorate")
    assert result.exit_code == 0, result.stderr
    files = sorted(folder.rglob("*.parquet"))
    assert len(files) == 11 and all(f.parent.name.startswith("governorate=") for f in files)  # Oman's 11
    for path in files:
        assert pl.read_parquet(path)["governorate"].n_unique() == 1
    whole = pl.concat([pl.read_parquet(f) for f in files]).sort("person_id")
    assert whole.equals(pl.read_parquet(people).sort("person_id"))  # the same seed: the same persons
    result = himaya("synth", "--persons", "10", "--seed", "1", "--output", tmp_path / "x", "--partition-by", "wilaya")
    assert result.exit_code == 2 and "--partition-by must be one of governorate, family" in result.stderr


def test_explain_reads_a_dataset_in_one_process(people: Path, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--by", "governorate")
    family = pl.read_parquet(people)["family_id"][0]
    explained = [himaya("explain", p, "--period", "2025-01", "--family", family) for p in (people, source)]
    assert explained[0].exit_code == 0 and family in explained[0].stdout
    assert explained[0].stdout == explained[1].stdout


@pytest.mark.parametrize("how", ["copied", "split"])
def test_a_family_in_two_files_is_refused_on_every_path(people: Path, scheduler: str, tmp_path: Path, how: str) -> None:
    """A worker sees one file: a family copied into a second file would be paid twice there (an
    outside attack found it so); a family split over two files would be judged as two. Refused,
    naming the files, in this process and on the cluster alike, with nothing written."""
    source = dataset(people, tmp_path / "people", "--parts", "4")
    first, second = sorted(source.rglob("*.parquet"))[:2]
    rows = pl.read_parquet(first)
    family = rows.filter(pl.col("family_id").is_in(rows.filter(pl.col("relationship") != "head")["family_id"]))
    family_id = family["family_id"][0]
    members = rows.filter(pl.col("family_id") == family_id)
    if how == "copied":
        moved, key = members, f"person {members.sort('person_id')['person_id'][0]}"
    else:  # its members but the head go to the second file
        moved, key = members.filter(pl.col("relationship") != "head"), f"family {family_id}"
        rows.filter(~pl.col("person_id").is_in(moved["person_id"])).write_parquet(first)
    pl.concat([pl.read_parquet(second), moved], how="vertical_relaxed").write_parquet(second)
    named = f"{key} in {first.relative_to(source)}, {second.relative_to(source)}"
    for where in ((), ("--scheduler", scheduler), ("--workers", "2")):
        result = himaya("entitlements", source, "--period", "2025-01", *where, "-o", tmp_path / "out.csv")
        assert result.exit_code == 2 and named in result.stderr, (where, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people"]


def test_the_output_cannot_be_the_dataset_read(people: Path, tmp_path: Path) -> None:
    source = dataset(people, tmp_path / "people", "--parts", "2")
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    for output in (source, source / "inside"):
        result = himaya("entitlements", source, "--period", "2025-01", "-o", output)
        assert result.exit_code == 2 and "the output folder is the people dataset" in result.stderr
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before
