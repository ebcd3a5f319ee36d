"""Benchmark: a monthly enrollment sync that ends many enrollments, each recorded as a decision.

    .venv/bin/python bench/stops.py [--scale 0.1] [--later 2029-01] [--repeat N]

A synthetic population (`--scale 0.1`: a tenth of Oman) is imported into a fresh SQLite registry as
of 2025-12-01 and enrolled for 2026-01; then `himaya enrollment sync --period LATER` is timed as a
whole process, from a copy of the enrolled registry each time: years later, many children have come
of age and others changed, so it ends many enrollments, and (since issue 13's stopped-benefit
appeal) records each as a `benefit_stop` case with its reason and queues its message. Run it with
`PYTHONPATH` at another checkout's `src` to time that code (before/after). Figures: docs/cases.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, run_measured

OUT = Path(__file__).parent / "out"


def himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--later", default="2029-01")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    people = OUT / f"stops-{args.scale}.parquet"
    database, pristine = OUT / "stops-bench.db", OUT / "stops-bench-enrolled.db"
    os.environ["HIMAYA_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("HIMAYA_ACTOR", "bench")
    if not people.exists():
        subprocess.run(himaya("synth", "--scale", str(args.scale), "--seed", "8", "--output", str(people)), check=True)
    if not pristine.exists():
        for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            leftover.unlink(missing_ok=True)
        for setup in (
            ("db", "upgrade"),
            ("registry", "import", str(people), "--as-of", "2025-12-01"),
            ("enrollment", "sync", "--period", "2026-01"),
        ):
            seconds, _ = run_measured(himaya(*setup))
            print(f"setup {' '.join(setup[:2])}: {seconds:.1f} s")
        shutil.copyfile(database, pristine)
    for attempt in range(1, args.repeat + 1):
        for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(pristine, database)
        taken = measure(himaya("enrollment", "sync", "--period", args.later))
        with sqlite3.connect(database) as connection:
            ended = connection.execute("SELECT count(*) FROM enrollment WHERE status = 'ended'").fetchone()[0]
            decided = connection.execute("SELECT count(*) FROM case_file WHERE type = 'benefit_stop'").fetchone()[0]
            told = connection.execute("SELECT count(*) FROM notification_outbox").fetchone()[0]
        print(
            f"sync {args.later} (attempt {attempt}): {taken.wall:.1f} s wall, {taken.cpu:.1f} s CPU, peak"
            f" {taken.gigabytes:.2f} GB; {ended:,} enrollments ended, {decided:,} decisions, {told:,} messages"
        )


if __name__ == "__main__":
    main()
