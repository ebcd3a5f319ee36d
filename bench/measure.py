"""Run one command as a child process and read its wall time, CPU time and peak memory from the kernel."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import NamedTuple


class Measurement(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds of user and system time, the command's own and its children's
    gigabytes: float  # peak resident memory of the command or of one of its children


def measure(command: list[str]) -> Measurement:
    """Wall and CPU seconds and peak RSS (GB) of `command`; raises SystemExit if it fails.

    On a machine shared with other work the wall time varies with the load; the CPU time much less."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child runs the command alone, so its own peak RSS is what we read
        os.execv(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return Measurement(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024 / 1024)


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of `command`; raises SystemExit if it fails."""
    wall, _, gigabytes = measure(command)
    return wall, gigabytes


class TreeMeasurement(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds of user and system time, the command's and every descendant's it waited for
    largest: float  # peak resident memory of the largest single process (GB, from the kernel)
    tree: float  # peak of the sum of the resident memory of the command and all its descendants (GB, sampled)


def measure_tree(command: list[str], every: float = 0.25) -> TreeMeasurement:
    """As `measure`, and the peak memory of the whole process tree (the command, its Dask nanny and
    worker processes): the sum of their resident sizes, sampled every `every` seconds. Pages shared
    between processes are counted in each, so the sum is an upper bound of what the tree held."""
    import psutil  # noqa: PLC0415  (only the tree measurement needs it)

    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.execv(command[0], command)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(pid)
        while not done.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                processes = []
            for process in processes:
                with contextlib.suppress(psutil.Error):  # ended between the listing and the reading
                    total += process.memory_info().rss
            peak = max(peak, total)
            done.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    cpu = usage.ru_utime + usage.ru_stime
    return TreeMeasurement(elapsed, cpu, usage.ru_maxrss / 1024 / 1024, peak / 2**30)
