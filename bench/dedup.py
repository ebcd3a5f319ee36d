"""Benchmark: duplicate detection on a registry of N persons with the independent ground truth.

    .venv/bin/python bench/dedup.py [--persons 5200000] [--per-kind 200] [--twins 600] [--wide-names]

Builds the ground truth of tests/registry/groundtruth.py (families, 29 kinds of duplicate, twins,
fathers and sons, namesakes; seeded), writes it to bench/out/, then runs the matcher in a child
process of its own (so that its wall time and peak memory are the matcher's alone) and prints:
the stages' times, the pairs compared (per blocking rule), the blocking's pair completeness,
precision and recall of the band merge overall and per kind, and what the hard non-duplicates
became. Target (issue 21): 5.2 million persons in <= 10 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))
from tests.registry.groundtruth import build  # noqa: E402

from himaya.registry.dedup import dedup  # noqa: E402
from measure import measure  # noqa: E402

OUT = Path(__file__).parent / "out"


def _make(persons: int, per_kind: int, twins: int, wide: bool) -> tuple[Path, Path]:
    name = f"dedup-{persons}-{per_kind}-{twins}" + ("-wide" if wide else "")
    people_file, truth_file = OUT / f"{name}.parquet", OUT / f"{name}.truth.parquet"
    if not people_file.exists():
        started = time.perf_counter()
        people, truth = build(persons, per_kind=per_kind, seed=21, twins=twins, wide=wide)
        people.write_parquet(people_file)
        truth.write_parquet(truth_file)
        print(
            f"ground truth: {people.height:,} records, {truth.height:,} pairs in {time.perf_counter() - started:.1f} s"
        )
    return people_file, truth_file


def _completeness(people: pl.DataFrame, left: np.ndarray, right: np.ndarray, truth_file: Path) -> float:
    """The share of the true duplicate pairs that the blocking compared at all."""
    numbers = people["civil_number"]
    compared = pl.DataFrame({"a": numbers.gather(left), "b": numbers.gather(right)}).select(
        _key("a", "b").alias("pair")
    )
    truth = pl.read_parquet(truth_file).filter("duplicate")
    expected = truth.select(_key("original_person_id", "duplicate_person_id").alias("pair"))
    return expected.join(compared, on="pair", how="semi").height / max(expected.height, 1)


def _run(people_file: Path, pairs_file: Path, truth_file: Path) -> None:
    """The child: read, match, write the pairs and the figures."""
    people = pl.read_parquet(people_file)
    result = dedup(people)
    result.pairs.select("civil_number_a", "civil_number_b", "score", "band").write_parquet(pairs_file)
    completeness = _completeness(people, result.blocking.left, result.blocking.right, truth_file)
    figures = {
        "seconds": result.seconds,
        "comparisons": result.blocking.comparisons,
        "per_rule": result.blocking.per_rule,
        "split_blocks": result.blocking.split_blocks,
        "skipped_blocks": result.blocking.skipped_blocks,
        "skipped_pairs": result.blocking.skipped_pairs,
        "completeness": completeness,
    }
    pairs_file.with_suffix(".json").write_text(json.dumps(figures))


def _key(a: str, b: str) -> pl.Expr:
    return pl.min_horizontal(a, b) + "-" + pl.max_horizontal(a, b)


def _report(truth_file: Path, pairs_file: Path) -> None:
    truth = pl.read_parquet(truth_file).with_columns(_key("original_person_id", "duplicate_person_id").alias("pair"))
    pairs = pl.read_parquet(pairs_file).with_columns(_key("civil_number_a", "civil_number_b").alias("pair"))
    joined = truth.join(pairs.select("pair", "band"), on="pair", how="left")
    table = (
        joined.group_by("kind", "duplicate")
        .agg(
            pl.len().alias("pairs"),
            (pl.col("band") == "merge").sum().alias("merged"),
            (pl.col("band") == "review").sum().alias("review"),
        )
        .with_columns((pl.col("merged") / pl.col("pairs")).round(3).alias("recall_merge"))
        .sort("duplicate", "kind", descending=[True, False])
    )
    merged = pairs.filter(pl.col("band") == "merge")
    true_pairs = truth.filter("duplicate")
    correct = merged.join(true_pairs.select("pair"), on="pair").height
    with pl.Config(tbl_rows=60, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(table)
    print(
        f"band merge: {merged.height:,} pairs, precision {correct / max(merged.height, 1):.4f}, "
        f"recall {correct / max(true_pairs.height, 1):.4f}; band review: {(pairs['band'] == 'review').sum():,} pairs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=5_200_000)
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--twins", type=int, default=600)
    parser.add_argument("--wide-names", action="store_true", help="longer name lists (groundtruth.build(wide=True))")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run(Path(args.child[0]), Path(args.child[1]), Path(args.child[2]))
        return
    OUT.mkdir(exist_ok=True)
    people_file, truth_file = _make(args.persons, args.per_kind, args.twins, args.wide_names)
    pairs_file = people_file.with_suffix(".pairs.parquet")
    child = [sys.executable, __file__, "--child", str(people_file), str(pairs_file), str(truth_file)]
    load_before = os.getloadavg()
    wall, cpu, gigabytes = measure(child)
    load_after = os.getloadavg()
    figures = json.loads(pairs_file.with_suffix(".json").read_text())
    records = pl.scan_parquet(people_file).select(pl.len()).collect().item()
    print(f"dedup of {records:,} records: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {gigabytes:.2f} GB")
    print(
        f"machine: {os.cpu_count()} cores; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (5 min: {load_after[1]:.1f})"
    )
    print("stages (s): " + ", ".join(f"{k} {v}" for k, v in figures["seconds"].items()))
    print(
        f"pairs compared: {figures['comparisons']:,} (blocks split: {figures['split_blocks']:,}; "
        f"over the size limit, not compared: {figures['skipped_blocks']:,}); "
        f"true pairs among them (pair completeness): {figures['completeness']:.4f}"
    )
    print("per rule: " + ", ".join(f"{k} {v:,}" for k, v in figures["per_rule"].items()))
    _report(truth_file, pairs_file)


if __name__ == "__main__":
    main()
