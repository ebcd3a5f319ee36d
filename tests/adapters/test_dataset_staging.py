"""A dataset's staging folder: one that a killed run left behind is removed by the next run beside
it, one that a running process writes is not (an outside attack found killed runs' folders kept)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from himaya.adapters.datasets import write_dataset
from himaya.core.errors import UsageError

PEOPLE = pl.DataFrame({"person_id": ["1", "2"], "family_id": ["F1", "F2"], "governorate": ["Muscat", "Dhofar"]})


def ended_pid() -> int:
    """The number of a process that has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(child.stdout)


def test_a_staging_folder_of_a_killed_run_is_removed_and_a_live_one_kept(tmp_path: Path) -> None:
    target = tmp_path / "out"
    host = socket.gethostname()
    killed = tmp_path / f".out.partial-{host}-{ended_pid()}-0badc0de"
    (killed / "governorate=Muscat").mkdir(parents=True)
    live = tmp_path / f".out.partial-{host}-{os.getpid()}-feedface"
    live.mkdir()
    elsewhere = tmp_path / ".out.partial-another-machine-1-cafe0000"
    elsewhere.mkdir()
    assert write_dataset(PEOPLE, target, by="governorate", buckets=0, about={}) == 2
    assert not killed.exists()
    assert live.is_dir() and elsewhere.is_dir()  # a process still running, or another machine's: not ours to remove
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == ["governorate=Dhofar", "governorate=Muscat"]


def test_a_failed_write_leaves_nothing_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(UsageError, match="no wilayat column"):
        write_dataset(PEOPLE, target, by="wilayat", buckets=0, about={})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
