"""Benchmark: `himaya entitlements` past one table, a dataset on a local Dask cluster against one process.

    .venv/bin/python bench/scale.py [--persons 5000000 10000000] [--workers 2] [--base 1000000]
                                    [--single-up-to 20000000]

The people are `bench/people.py`'s table of `--base` persons replicated with distinct identifiers
(copy K prefixes every person_id and family_id with K), written twice: as one Parquet file (the
single-process path) and as a dataset partitioned by family hash (`family_bucket=N/part-K.parquet`,
as `himaya partition` writes them). For each size it runs, each as a whole process:

- one process: `himaya entitlements people.parquet -o single.parquet` (up to `--single-up-to`
  persons: one process holds them all, 8.8 GB at 20 million);
- a local cluster: `himaya entitlements people/ --workers N -o dataset/`;

and prints wall seconds, CPU seconds (the command's and its worker processes', all waited for) and
the peak RSS of the largest process of the tree (the command or one worker), then checks that the
cluster's rows, sorted, are the single process's row for row.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from himaya.adapters.datasets import partitions
from measure import Measurement, measure
from people import make_people

OUT = Path(__file__).parent / "out" / "scale"
BUCKETS = 4  # files per copy: a 1-million copy makes four files of about 250,000 persons


def copy_of(base: pl.DataFrame, copy: int) -> pl.DataFrame:
    """The base table with every identifier made distinct: copy K's ids are prefixed with K."""
    prefix = f"{copy:03d}"
    return base.with_columns((pl.lit(prefix) + pl.col(c)).alias(c) for c in ("person_id", "family_id"))


def write_inputs(base: pl.DataFrame, copies: int, *, single_too: bool) -> tuple[Path, Path]:
    """A dataset folder of `copies` copies of the base and (`single_too`) one Parquet file of them
    (written once)."""
    single, folder = OUT / f"people-{copies}x.parquet", OUT / f"people-{copies}x"
    if not folder.exists():
        staging = folder.with_name(f"{folder.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        for copy in range(copies):
            for name, rows in partitions(copy_of(base, copy), "family", BUCKETS):
                (staging / name).mkdir(parents=True, exist_ok=True)
                rows.write_parquet(staging / name / f"part-{copy:03d}.parquet")
        staging.rename(folder)
    if single_too and not single.exists():
        pl.scan_parquet(sorted(folder.rglob("*.parquet"))).drop("family_bucket").sink_parquet(single)
    return single, folder


def himaya(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", "entitlements", *map(str, args), "--period", "2026-01"]


def shown(label: str, m: Measurement) -> str:
    return f"  {label:<28} {m.wall:7.1f} s wall, {m.cpu:7.1f} s CPU, peak RSS {m.gigabytes:5.2f} GB"


def run(base: pl.DataFrame, persons: int, workers: int, single_up_to: int) -> None:
    copies = max(1, round(persons / base.height))
    single_too = copies * base.height <= single_up_to
    single, folder = write_inputs(base, copies, single_too=single_too)
    files = len(list(folder.rglob("*.parquet")))
    print(f"{copies * base.height:,} persons ({copies} copies), {files} files; load {os.getloadavg()[0]:.1f}")
    alone, dataset = OUT / "single.parquet", OUT / "dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    if single_too:
        print(shown("one process, one file", measure(himaya(single, "-o", alone))), flush=True)
    spread = measure(himaya(folder, "--workers", workers, "-o", dataset))
    print(shown(f"local cluster, {workers} workers", spread), flush=True)
    if not single_too:
        rows = pl.scan_parquet(sorted(dataset.rglob("*.parquet"))).select(pl.len()).collect().item()
        print(f"  {rows:,} entitlement rows (one process not run past {single_up_to:,} persons: its memory)")
        return
    reference = pl.read_parquet(alone)
    gathered = pl.scan_parquet(sorted(dataset.rglob("*.parquet"))).sort("family_id", "person_id", "programme")
    same = gathered.collect().equals(reference)
    print(f"  {reference.height:,} entitlement rows; cluster's rows the same as one process's: {same}")
    if not same:
        raise SystemExit("the cluster's rows differ from the single process's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[5_000_000, 10_000_000])
    parser.add_argument("--base", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--single-up-to", type=int, default=20_000_000, help="run one process only up to this many persons"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    base = make_people(args.base)
    print(f"base table: {base.height:,} persons in {time.perf_counter() - started:.1f} s")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
        f"Python {platform.python_version()}, polars {pl.__version__}; load average {os.getloadavg()}"
    )
    for persons in args.persons:
        run(base, persons, args.workers, args.single_up_to)


if __name__ == "__main__":
    main()
