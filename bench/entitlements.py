"""Benchmark: `himaya entitlements` on a people table the size of Oman, as a whole process.

    .venv/bin/python bench/entitlements.py [--persons 5200000] [--text] [--repeat 3]

Prints wall time and peak memory (RSS of the child process) for Parquet in, Parquet out.
Target (DESIGN.md): at most 5 s and 3 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_measured
from people import people_file

OUT = Path(__file__).parent / "out"


def run_once(people: Path, output: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one `himaya entitlements` process."""
    command = [
        sys.executable,
        "-m",
        "himaya.cli.main",
        "entitlements",
        str(people),
        "--period",
        "2026-01",
        "--output",
        str(output),
    ]
    return run_measured(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=5_200_000)
    parser.add_argument("--text", action="store_true", help="store every column as text, as a CSV would")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    people = people_file(args.persons, OUT, text=args.text)
    rows = pl.scan_parquet(people).select(pl.len()).collect().item()
    print(
        f"people table: {people} ({rows:,} rows, {people.stat().st_size / 1e6:.0f} MB), "
        f"ready in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, polars {pl.__version__}"
    )
    output = OUT / "entitlements.parquet"
    results = [run_once(people, output) for _ in range(args.repeat)]
    lines = pl.scan_parquet(output).select(pl.len()).collect().item()
    for i, (seconds, gigabytes) in enumerate(results, 1):
        print(f"run {i}: {seconds:.2f} s wall, peak RSS {gigabytes:.2f} GB")
    best = min(r[0] for r in results)
    print(
        f"best: {best:.2f} s for {rows:,} persons -> {lines:,} entitlement rows ({rows / best / 1e6:.2f} M persons/s); "
        f"peak RSS {max(r[1] for r in results):.2f} GB; target <= 5 s and <= 3 GB"
    )


if __name__ == "__main__":
    main()
