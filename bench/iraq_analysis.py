"""Benchmark: `himaya simulate --pack iraq` and `himaya project --pack iraq`, as whole processes.

    .venv/bin/python bench/iraq_analysis.py [--scale 0.05] [--repeat 1]

1. A synthetic Iraq at `--scale` (written once to bench/out/iraq-SCALE.parquet, ages counted on
   1 January 2026), then the life-cycle reform simulated on it for January 2026 against one
   entitlement run on the same file.
2. The projection 2025-2050 of today's scheme and the life-cycle design side by side.

Wall time, CPU time and peak memory of each process; the load average beside them (the machine is
shared: the CPU time varies much less than the wall time).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from measure import Measurement, measure

ROOT = Path(__file__).parents[1]
OUT = Path(__file__).parent / "out"
REFORM = ROOT / "examples" / "reforms" / "iraq-life-cycle.yaml"
SCENARIOS = [ROOT / "examples" / "scenarios" / f"iraq-{name}.yaml" for name in ("today", "life-cycle")]
HIMAYA = [sys.executable, "-m", "himaya.cli.main"]
QUIET = ["--json"]  # the report is not what is measured; the JSON is printed to /dev/null below


def run(label: str, command: list[str]) -> Measurement:
    with open(os.devnull, "w") as null:
        saved = os.dup(1)
        os.dup2(null.fileno(), 1)
        try:
            result = measure(command)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    load = os.getloadavg()[0]
    print(
        f"  {label}: {result.wall:.1f} s wall, {result.cpu:.1f} s CPU, "
        f"peak RSS {result.gigabytes:.2f} GB (load {load:.1f})"
    )
    return result


def simulation(scale: float, repeat: int) -> None:
    people = OUT / f"iraq-{scale:g}.parquet"
    if not people.exists():
        run(
            f"himaya synth --pack iraq --scale {scale:g}",
            [*HIMAYA, "synth", "--pack", "iraq", "--scale", str(scale), "--seed", "2025", "--as-of", "2026-01-01",
             "--output", str(people)],
        )  # fmt: skip
    rows = pl.scan_parquet(people).select(pl.len()).collect().item()
    print(f"the life-cycle reform against one entitlement run, {rows:,} persons, period 2026-01")
    for i in range(1, repeat + 1):
        run(f"entitlements, run {i}", [*HIMAYA, "entitlements", str(people), "--pack", "iraq", "--period", "2026-01",
                                       "--output", str(OUT / "iraq-ent.parquet")])  # fmt: skip
        run(f"simulate, run {i}", [*HIMAYA, "simulate", "--pack", "iraq", "--population", str(people), "--period",
                                   "2026-01", "--reform", str(REFORM), *QUIET])  # fmt: skip


def projection(repeat: int) -> None:
    print("projection 2025-2050, today's scheme and the life-cycle design (200,000-person sample)")
    command = [*HIMAYA, "project", "--pack", "iraq", "--to", "2050", *QUIET]
    for scenario in SCENARIOS:
        command += ["--scenario", str(scenario)]
    for i in range(1, repeat + 1):
        run(f"project, run {i}", command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.05, help="share of Iraq's 46.1 million persons")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    simulation(args.scale, args.repeat)
    projection(args.repeat)


if __name__ == "__main__":
    main()
