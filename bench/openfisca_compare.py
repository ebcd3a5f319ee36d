"""Benchmark: `himaya entitlements` against OpenFisca running the same rules on the same Parquet file.

Set-up, once. OpenFisca lives in its own virtualenv under the git-ignored bench/out, never in .venv,
so that nothing the project installs, type-checks or tests imports it:

    python3 -m venv bench/out/ofvenv
    bench/out/ofvenv/bin/pip install openfisca-core polars pyarrow numpy

Run (from the repository root, with the project's own interpreter):

    .venv/bin/python bench/openfisca_compare.py [--persons 5200000 [N ...]] [--repeat 3] [--timeout 600]
        [--himaya-src DIR]  # e.g. `git archive HEAD src | tar -x -C /tmp/h` and /tmp/h/src: a fixed commit

The OpenFisca side is `bench/openfisca/run.py` with the country package `bench/openfisca/openfisca_oman`
(entities Person and Family, the YAML parameters, one variable per programme; money in integer baisa).
`bench/openfisca/check_cases.py` runs the project's policy cases through it.

For each size, both engines run as separate processes on the same people table (made once by
bench/people.py), alternately, `--repeat` times each: whole process, from the start of Python to the
output file written, reading Parquet and writing Parquet. Each process is started with fork and execv
and reaped with wait4, which gives its wall time and its own peak RSS; the people tables are made in a
child process, so the parent forks while small. An OpenFisca run still going after `--timeout` seconds
is killed and reported as such. A run during which other processes kept the machine busy is flagged
(from /proc/stat): the figures are only fair on an otherwise idle machine. Then the two outputs are
compared row for row, and a table gives each engine's best time, its peak memory and the ratios. When
5.2 M persons were not measured, the figures for 5.2 M are extrapolated linearly from the sizes that
were, and labelled so.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
WORK = OUT / "compare"
OPENFISCA_PYTHON = OUT / "ofvenv" / "bin" / "python"
OPENFISCA_RUN = BENCH / "openfisca" / "run.py"
NATIONAL = 5_200_000
KEY = ("family_id", "person_id", "programme")
BUSY_MACHINE = 0.1  # other processes' CPU seconds per wall second of a run above which the run is flagged


@dataclass(frozen=True)
class Run:
    engine: str
    persons: int
    seconds: float
    cpu_seconds: float  # user + system CPU time of the process (all its threads)
    peak_gb: float
    outcome: str  # "ok", "timeout" or "failed: ..."
    log: Path
    others_cpu: float  # CPU seconds that other processes of the machine used during the run


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    """This process's resident memory now: a forked child starts with it, so it floors the child's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def people_table(persons: int) -> Path:
    """Make (once, in a child process) and return bench/out/people-N.parquet."""
    code = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); from pathlib import Path; from people import people_file; "
        f"print(people_file({persons}, Path({str(OUT)!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return Path(done.stdout.strip())


def run_process(
    engine: str, persons: int, command: list[str], log: Path, timeout: float | None, env: dict[str, str]
) -> Run:
    """Wall seconds and peak RSS of one process, its output going to `log`; killed after `timeout` seconds."""
    busy = busy_cpu_seconds()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child runs the command alone, so its own peak RSS is what we read
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(command[0], command, env)
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    others = busy_cpu_seconds() - busy - usage.ru_utime - usage.ru_stime
    if timer:
        timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    if killed.is_set():
        outcome = "timeout"
    elif code == 0:
        outcome = "ok"
    elif code < 0:
        outcome = f"failed: killed by signal {-code}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
    else:
        outcome = f"failed: exit status {code}"
    cpu = usage.ru_utime + usage.ru_stime
    return Run(engine, persons, elapsed, cpu, usage.ru_maxrss / 1024 / 1024, outcome, log, max(others, 0.0))


def commands(people: Path, period: str, persons: int, openfisca_python: Path) -> dict[str, tuple[list[str], Path]]:
    himaya_out = WORK / f"himaya-{persons}.parquet"
    openfisca_out = WORK / f"openfisca-{persons}.parquet"
    common = [str(people), "--period", period, "--output"]
    return {
        "himaya": ([sys.executable, "-m", "himaya.cli.main", "entitlements", *common, str(himaya_out)], himaya_out),
        "openfisca": ([str(openfisca_python), str(OPENFISCA_RUN), *common, str(openfisca_out)], openfisca_out),
    }


def compare(himaya: Path, openfisca: Path, examples: int = 5) -> tuple[int, int, list[str]]:
    """Rows of each output, and the rows that differ (keyed by family, person and programme), with examples."""
    import polars as pl  # noqa: PLC0415  (imported late: the parent forks the timed runs while small)

    ours, theirs = pl.read_parquet(himaya), pl.read_parquet(openfisca)
    notes = []
    if ours.schema != theirs.schema:
        notes.append(f"schemas differ: himaya {dict(ours.schema)}, openfisca {dict(theirs.schema)}")
    if ours.equals(theirs):
        return ours.height, 0, notes
    joined = ours.join(theirs, on=list(KEY), how="full", coalesce=True, suffix="_openfisca")
    differing = joined.filter(
        pl.col("amount").is_null()
        | pl.col("amount_openfisca").is_null()
        | (pl.col("amount") != pl.col("amount_openfisca"))
    )
    for row in differing.head(examples).iter_rows(named=True):
        notes.append(
            f"family {row['family_id']}, person {row['person_id']}, {row['programme']}: "
            f"himaya {row['amount'] or '-'}, openfisca {row['amount_openfisca'] or '-'}"
        )
    if differing.is_empty():
        notes.append("same rows, in a different order or with another period text")
        return ours.height, sum(a != b for a, b in zip(ours.iter_rows(), theirs.iter_rows(), strict=False)), notes
    return ours.height, differing.height, notes


def busy(run: Run) -> bool:
    return run.others_cpu > BUSY_MACHINE * run.seconds


def best(runs: list[Run], engine: str, persons: int) -> Run | None:
    """The fastest finished run, of those on a quiet machine if there are any."""
    done = [r for r in runs if r.engine == engine and r.persons == persons and r.outcome == "ok"]
    quiet = [r for r in done if not busy(r)]
    return min(quiet or done, key=lambda r: r.seconds) if done else None


def peak_gb(runs: list[Run], engine: str, persons: int) -> float:
    return max(r.peak_gb for r in runs if r.engine == engine and r.persons == persons and r.outcome == "ok")


def linear_fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through two or more points."""
    mean_n = sum(n for n, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((n - mean_n) * (y - mean_y) for n, y in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return mean_y - slope * mean_n, slope


def openfisca_versions(python: Path) -> str:
    code = (
        "import importlib.metadata as m; print(', '.join(p + ' ' + m.version(p) for p in ('openfisca-core', 'numpy')))"
    )
    return subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def measure(args: argparse.Namespace) -> tuple[list[Run], dict[int, dict[str, Path]]]:
    """Run both engines on each size, alternately, `args.repeat` times each; print each run."""
    runs: list[Run] = []
    outputs: dict[int, dict[str, Path]] = {}
    for persons in sorted(args.persons):
        people = people_table(persons)
        plan = commands(people, args.period, persons, args.openfisca_python)
        outputs[persons] = {engine: output for engine, (_, output) in plan.items()}
        print(f"\n{people.name}: {people.stat().st_size / 1e6:.0f} MB; parent RSS at fork {rss_mb():.0f} MB")
        for i in range(1, args.repeat + 1):
            for engine, (command, output) in plan.items():
                output.unlink(missing_ok=True)
                timeout = args.timeout if engine == "openfisca" else None
                env = dict(os.environ)
                if engine == "himaya" and args.himaya_src:  # this source tree before the installed one
                    env["PYTHONPATH"] = str(args.himaya_src.resolve())
                run = run_process(engine, persons, command, WORK / f"{engine}-{persons}-{i}.log", timeout, env)
                runs.append(run)
                detail = "" if run.outcome == "ok" else f"  ** {run.outcome}; see {run.log}"
                if busy(run):
                    detail += f"  (other processes used {run.others_cpu:.1f} CPU-s meanwhile: a busy machine)"
                print(
                    f"  run {i} {engine:<9} {run.seconds:7.2f} s  CPU {run.cpu_seconds:6.2f} s  "
                    f"peak RSS {run.peak_gb:5.2f} GB{detail}",
                    flush=True,
                )
                if engine == "openfisca" and run.outcome == "ok":
                    print(f"      {run.log.read_text().strip().splitlines()[-1]}")
    return runs, outputs


def report_check(outputs: dict[int, dict[str, Path]]) -> None:
    print("\nrow-for-row check (himaya against openfisca):")
    for persons, paths in outputs.items():
        if not all(p.exists() for p in paths.values()):
            print(f"  {persons:>9,} persons: not compared (a run did not finish)")
            continue
        rows, differing, notes = compare(paths["himaya"], paths["openfisca"])
        verdict = "identical, row for row" if differing == 0 and not notes else f"{differing:,} rows differ"
        print(f"  {persons:>9,} persons: {rows:,} entitlement rows; {verdict}")
        for note in notes:
            print(f"      {note}")


def report_table(runs: list[Run], sizes: list[int]) -> None:
    print(
        f"\n{'persons':>10}  {'engine':<9}  {'seconds':>8}  {'CPU s':>6}  {'peak GB':>8}  {'time ratio':>10}  "
        f"{'memory ratio':>12}"
    )
    for persons in sizes:
        ours = best(runs, "himaya", persons)
        for engine in ("himaya", "openfisca"):
            run = best(runs, engine, persons)
            if run is None:
                failed = next(r for r in runs if r.engine == engine and r.persons == persons)
                print(f"{persons:>10,}  {engine:<9}  {failed.outcome}")
                continue
            peak = peak_gb(runs, engine, persons)
            ratio = f"{run.seconds / ours.seconds:.2f}x" if ours else "-"
            memory = f"{peak / peak_gb(runs, 'himaya', persons):.2f}x" if ours else "-"
            note = "  (busy machine)" if busy(run) else ""
            print(
                f"{persons:>10,}  {engine:<9}  {run.seconds:8.2f}  {run.cpu_seconds:6.2f}  {peak:8.2f}  {ratio:>10}  "
                f"{memory:>12}{note}"
            )
    print(
        "(seconds: wall time of the best run, on a quiet machine if any; CPU s: that run's user + system time;\n"
        " peak GB: highest peak RSS of the runs; ratios: engine / himaya, lower is better)"
    )


def report_extrapolation(runs: list[Run], sizes: list[int]) -> None:
    measured = [p for p in sizes if best(runs, "openfisca", p) and best(runs, "himaya", p)]
    if not measured or max(measured) >= NATIONAL:
        return
    if len(measured) < 2:
        print(f"\n{NATIONAL:,} persons not measured: give two sizes or more to extrapolate to it")
        return
    sizes_text = ", ".join(f"{p:,}" for p in measured)
    print(f"\nEXTRAPOLATED to {NATIONAL:,} persons, linear in persons from {sizes_text} (not measured):")
    for engine in ("himaya", "openfisca"):
        a, b = linear_fit([(p, run.seconds) for p in measured if (run := best(runs, engine, p))])
        c, d = linear_fit([(p, peak_gb(runs, engine, p)) for p in measured])
        print(f"  {engine:<9} ~{a + b * NATIONAL:.1f} s, ~{c + d * NATIONAL:.1f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[NATIONAL], help="sizes of people table")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each engine on each size (best is reported)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds after which an OpenFisca run is killed")
    parser.add_argument("--period", default="2026-01")
    parser.add_argument("--openfisca-python", type=Path, default=OPENFISCA_PYTHON)
    parser.add_argument(
        "--himaya-src",
        type=Path,
        help="run himaya from this src/ folder (e.g. of `git archive` of a commit) rather than the installed one",
    )
    args = parser.parse_args()
    if not args.openfisca_python.exists():
        raise SystemExit(f"{args.openfisca_python}: no such interpreter; set it up as this script's docstring says")
    WORK.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{openfisca_versions(args.openfisca_python)}; himaya from {args.himaya_src or 'the installed package'}"
    )
    runs, outputs = measure(args)
    report_check(outputs)
    report_table(runs, sorted(args.persons))
    report_extrapolation(runs, sorted(args.persons))


if __name__ == "__main__":
    main()
