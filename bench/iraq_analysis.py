"""Benchmark: `himaya simulate --pack iraq` and `himaya project --pack iraq`, as whole processes.

    .venv/bin/python bench/iraq_analysis.py [--scale 0.05] [--repeat 1]
    .venv/bin/python bench/iraq_analysis.py --whole-country [--parts 8] [--draws D] [--buckets 8] [--workers 2]
                                            [--draw-only]

1. A synthetic Iraq at `--scale` (written once to bench/out/iraq-SCALE.parquet, ages counted on
   1 January 2026), then the life-cycle reform simulated on it for January 2026 against one
   entitlement run on the same file.
2. The projection 2025-2050 of today's scheme and the life-cycle design side by side.

With `--whole-country`, instead: the whole of Iraq (about 46 million persons) as a dataset, and
`himaya entitlements` and `himaya simulate` on it on a local Dask cluster of `--workers` processes.
One `himaya synth` does not hold 46 million persons within the memory (its peak for one part is
printed, with what the whole would take), so the country is drawn in `--parts` parts of 1/parts of
the census each (`--scale 1/parts`, each with a seed of its own: independent draws; with `--draws D`,
only D draws, part K a copy of draw K mod D, as bench/scale.py replicates Oman), every id of part K
prefixed with K (the ids of two parts never meet), each part cut by family hash into
`--buckets` files (`family_bucket=NN/part-KK.parquet`, as `himaya partition` cuts), written once to
bench/out/iraq-whole/. For each command: wall and CPU seconds (the command's and its workers', all
waited for), the peak RSS of its largest process, and the peak of the whole process tree's memory
(the command, the nannies and the workers together, sampled).

Wall time, CPU time and peak memory of each process; the load average beside them (the machine is
shared: the CPU time varies much less than the wall time).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from himaya.adapters.datasets import BUCKET, family_bucket
from measure import Measurement, TreeMeasurement, measure, measure_tree

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


WHOLE = OUT / "iraq-whole"
IDS = ("person_id", "family_id", "household_id", "cares_for")  # every id, and every reference to one


def run_tree(label: str, command: list[str]) -> TreeMeasurement:
    with open(os.devnull, "w") as null:
        saved = os.dup(1)
        os.dup2(null.fileno(), 1)
        try:
            result = measure_tree(command)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    print(
        f"  {label}: {result.wall:.1f} s wall, {result.cpu:.1f} s CPU, peak RSS {result.largest:.2f} GB "
        f"(largest process), {result.tree:.2f} GB (whole tree); load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return result


def whole_dataset(parts: int, buckets: int, draws: int) -> Path:
    """The whole of Iraq as a dataset of `parts` parts of 1/parts of the census each: `draws`
    independent draws, part K a copy of draw K mod draws (with ids of its own)."""
    if WHOLE.exists():
        return WHOLE
    staging = WHOLE.with_name(f"{WHOLE.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    drawn = OUT / "iraq-whole-parts"
    drawn.mkdir(exist_ok=True)
    for k in range(parts):
        part = drawn / f"part-{k % draws:02d}-of-{parts}.parquet"
        if not part.exists():
            label = f"himaya synth --pack iraq --scale 1/{parts}, draw {k + 1}"
            synth = run_tree(label, [*HIMAYA, "synth", "--pack", "iraq", "--scale", str(1 / parts), "--seed",
                                     str(2025 + k), "--as-of", "2026-01-01", "--output", str(part)])  # fmt: skip
            if k == 0:
                print(f"    (one synth of the whole country: about {synth.largest * parts:.0f} GB at this rate)")
        frame = pl.read_parquet(part).with_columns((pl.lit(f"{k:02d}") + pl.col(c)).alias(c) for c in IDS)
        frame = frame.with_columns(family_bucket(frame["family_id"], buckets))
        for bucket in range(buckets):  # as `himaya partition --by family` names them, one bucket at a time
            folder = staging / f"{BUCKET}={bucket:0{len(str(buckets - 1))}d}"
            folder.mkdir(parents=True, exist_ok=True)
            frame.filter(pl.col(BUCKET) == bucket).write_parquet(folder / f"part-{k:02d}.parquet")
        del frame
    staging.rename(WHOLE)
    return WHOLE


def whole_country(parts: int, buckets: int, workers: int, draws: int, *, draw_only: bool) -> None:
    dataset = whole_dataset(parts, buckets, min(draws, parts))
    if draw_only:  # drawn once, measured later on a quieter machine
        return
    files = sorted(dataset.rglob("*.parquet"))
    persons = pl.scan_parquet(files).select(pl.len()).collect().item()
    print(f"the whole of Iraq: {persons:,} persons in {len(files)} files; a local cluster of {workers} workers")
    where = ["--pack", "iraq", "--period", "2026-01", "--workers", str(workers)]
    run_tree("himaya simulate", [*HIMAYA, "simulate", "--population", str(dataset), *where, "--reform",
                                 str(REFORM), "--output", str(OUT / "iraq-whole-simulation")])  # fmt: skip
    run_tree("himaya entitlements", [*HIMAYA, "entitlements", str(dataset), *where,
                                     "--output", str(OUT / "iraq-whole-entitlements")])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.05, help="share of Iraq's 46.1 million persons")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--whole-country", action="store_true", help="the whole of Iraq as a dataset, on Dask")
    parser.add_argument("--parts", type=int, default=8, help="--whole-country: parts of 1/parts of the census each")
    parser.add_argument("--draws", type=int, default=0, help="--whole-country: distinct draws (default: one a part)")
    parser.add_argument("--buckets", type=int, default=8, help="--whole-country: files per part, by family hash")
    parser.add_argument("--workers", type=int, default=2, help="--whole-country: local Dask workers")
    parser.add_argument("--draw-only", action="store_true", help="--whole-country: write the dataset, measure nothing")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB, Python {platform.python_version()}, "
        f"polars {pl.__version__}; load average {os.getloadavg()}"
    )
    if args.whole_country:
        whole_country(args.parts, args.buckets, args.workers, args.draws or args.parts, draw_only=args.draw_only)
        return
    simulation(args.scale, args.repeat)
    projection(args.repeat)


if __name__ == "__main__":
    main()
