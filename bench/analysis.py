"""Benchmark: `himaya project` and `himaya simulate`, as whole processes.

    .venv/bin/python bench/analysis.py [--scale 1.0] [--repeat 3] [--skip-simulation]

1. A 25-year projection (`himaya project --from 2025 --to 2050`): wall time and peak memory of the
   whole process, with and without charts. Target (DESIGN.md): at most 2 s.
2. A reform simulation on the whole population (`himaya synth --scale 1.0` written once to
   bench/out/oman.parquet) against one entitlement run on the same file. Target: the simulation
   in at most twice the time of the entitlement run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_measured

OUT = Path(__file__).parent / "out"
REFORM = Path(__file__).parents[1] / "examples" / "reforms" / "child-15.yaml"
HIMAYA = [sys.executable, "-m", "himaya.cli.main"]


@contextmanager
def quiet() -> Iterator[None]:
    """The child's report goes to /dev/null: only the figures are printed."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def best(command: list[str], repeat: int, label: str) -> tuple[float, float]:
    """The best wall time of `repeat` runs and the highest peak memory, printed as they come."""
    runs = []
    for _ in range(repeat):
        with quiet():
            runs.append(run_measured(command))
    for i, (seconds, gigabytes) in enumerate(runs, 1):
        print(f"  {label} run {i}: {seconds:.2f} s wall, peak RSS {gigabytes:.2f} GB")
    return min(r[0] for r in runs), max(r[1] for r in runs)


def projection(repeat: int) -> None:
    print("25-year projection, today's rules (default scenario: 200,000-person sample, the law's nominal amounts)")
    command = [*HIMAYA, "project", "--from", "2025", "--to", "2050"]
    seconds, gigabytes = best(command, repeat, "report only")
    charts, charts_gb = best([*command, "--output", str(OUT / "projection")], repeat, "with JSON, CSV, charts")
    print(f"best: {seconds:.2f} s ({gigabytes:.2f} GB), with charts {charts:.2f} s ({charts_gb:.2f} GB); target <= 2 s")


def simulation(scale: float, repeat: int) -> None:
    people = OUT / f"oman-{scale:g}.parquet"
    if not people.exists():
        print(f"writing {people} (himaya synth --scale {scale:g} --seed 2025) ...")
        with quiet():
            run_measured([*HIMAYA, "synth", "--scale", str(scale), "--seed", "2025", "--output", str(people)])
    rows = pl.scan_parquet(people).select(pl.len()).collect().item()
    print(f"reform simulation against one entitlement run, {rows:,} persons, period 2027-01, reform {REFORM.name}")
    entitlements_command = [
        *HIMAYA,
        "entitlements",
        str(people),
        "--period",
        "2027-01",
        "--output",
        str(OUT / "analysis-ent.parquet"),
    ]
    simulate_command = [
        *HIMAYA,
        "simulate",
        "--population",
        str(people),
        "--period",
        "2027-01",
        "--reform",
        str(REFORM),
        "--json",
    ]
    # Alternated, so that both see the same load from whatever else runs on the machine.
    pairs = []
    for i in range(1, repeat + 1):
        with quiet():
            pair = run_measured(entitlements_command), run_measured(simulate_command)
        (e, e_gb), (s, s_gb) = pair
        print(f"  run {i}: entitlements {e:.2f} s ({e_gb:.2f} GB), simulate {s:.2f} s ({s_gb:.2f} GB): {s / e:.2f}x")
        pairs.append(pair)
    entitlements = min(p[0][0] for p in pairs)
    simulate = min(p[1][0] for p in pairs)
    print(
        f"best: entitlements {entitlements:.2f} s ({max(p[0][1] for p in pairs):.2f} GB), simulate {simulate:.2f} s "
        f"({max(p[1][1] for p in pairs):.2f} GB): {simulate / entitlements:.2f}x; target <= 2x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the simulated population (1.0: Oman)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-simulation", action="store_true", help="only the projection")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"polars {pl.__version__}"
    )
    projection(args.repeat)
    if not args.skip_simulation:
        simulation(args.scale, args.repeat)


if __name__ == "__main__":
    main()
