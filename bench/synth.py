"""Benchmark: `himaya synth` for the whole of Oman (or a share of Iraq), as a whole process.

    .venv/bin/python bench/synth.py [--pack oman|iraq] [--scale 1.0] [--format parquet|csv] [--repeat 2]

Prints wall time and peak memory; target (issue: a synthetic Oman): at most 60 s and 6 GB on a
2-core machine for about 5.2 million persons; Iraq at --scale 0.1 is about 4.6 million. Also checks
that two runs with the same seed write the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_measured

OUT = Path(__file__).parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", choices=["oman", "iraq"], default="oman")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}, polars {pl.__version__}; pack {args.pack}")
    digests = []
    for run in range(1, args.repeat + 1):
        output = OUT / f"synth-{args.pack}-{run}.{args.format}"
        command = [
            sys.executable,
            "-m",
            "himaya.cli.main",
            "synth",
            "--pack",
            args.pack,
            "--scale",
            str(args.scale),
            "--seed",
            "2025",
            "--output",
            str(output),
        ]
        seconds, gigabytes = run_measured(command)
        digests.append(hashlib.sha256(output.read_bytes()).hexdigest())
        rows = pl.scan_parquet(output).select(pl.len()).collect().item() if args.format == "parquet" else None
        size = f"{rows:,} persons, " if rows is not None else ""
        print(
            f"run {run}: {seconds:.1f} s wall, peak RSS {gigabytes:.2f} GB ({size}{output.stat().st_size / 1e6:.0f} MB)"
        )
    print(f"same seed, same bytes: {len(set(digests)) == 1}; target <= 60 s and <= 6 GB")


if __name__ == "__main__":
    main()
