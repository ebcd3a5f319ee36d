"""A dataset folder is replaced only by a dataset of the same kind, and never by a command whose
input it holds (an outside attack: `partition` of a file inside its output folder kept 7 of 24
rows; `entitlements --output` naming a people dataset put the results in its place)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.adapters.datasets import MARKER
from himaya.cli.main import app

PEOPLE = Path(__file__).resolve().parents[2] / "src/himaya/policy/packs/oman/examples/people.csv"


def himaya(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def rows(folder: Path) -> int:
    return pl.scan_parquet(folder / "**/*.parquet", hive_partitioning=False).select(pl.len()).collect().item()


@pytest.fixture
def people_dataset(tmp_path: Path) -> Path:
    made = himaya("partition", PEOPLE, "--output", tmp_path / "people", "--parts", "2")
    assert made.exit_code == 0, made.stderr
    return tmp_path / "people"


def test_a_file_inside_the_output_folder_is_not_split_into_it(people_dataset: Path) -> None:
    before = rows(people_dataset)
    inner = next(people_dataset.rglob("*.parquet"))
    refused = himaya("partition", inner, "--output", people_dataset, "--parts", "3")
    assert refused.exit_code == 2, refused.stdout
    assert "the output folder is" in refused.stderr and "name another" in refused.stderr
    assert rows(people_dataset) == before  # nothing lost


def test_entitlements_do_not_replace_a_people_dataset_nor_the_reverse(people_dataset: Path, tmp_path: Path) -> None:
    before = rows(people_dataset)
    copy = himaya("partition", PEOPLE, "--output", tmp_path / "copy", "--parts", "2")
    assert copy.exit_code == 0, copy.stderr
    refused = himaya("entitlements", tmp_path / "copy", "--period", "2026-01", "--output", people_dataset)
    assert refused.exit_code == 2, refused.stdout
    assert "holds a people dataset (written by partition)" in refused.stderr
    assert rows(people_dataset) == before and '"partition"' in (people_dataset / MARKER).read_text()
    made = himaya("entitlements", people_dataset, "--period", "2026-01", "--output", tmp_path / "out")
    assert made.exit_code == 0, made.stderr
    again = himaya("partition", PEOPLE, "--output", tmp_path / "out")
    assert again.exit_code == 2 and "holds a entitlements dataset" not in again.stderr
    assert "holds an entitlements dataset (written by entitlements)" in again.stderr


def test_a_dataset_of_the_same_kind_is_replaced(people_dataset: Path) -> None:
    again = himaya("partition", PEOPLE, "--output", people_dataset, "--parts", "1")
    assert again.exit_code == 0, again.stderr
    assert len(list(people_dataset.rglob("*.parquet"))) == 1
    assert rows(people_dataset) == pl.read_csv(PEOPLE).height
